import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { operationOf } from './message-handlers';

/**
 * Admin-only operations (`admin: true` in their definition, such as WEATHER.evict) are answered only for a message
 * that carries the internal token, the INTERNAL_TOKEN every process of one deployment shares: the gateway adds it
 * once it has checked the admin's credentials, and nothing else that can reach a service's TCP port has it.
 *
 * The token travels in the payload under this field; the service takes it out before the payload is validated.
 */
export const INTERNAL_TOKEN_FIELD = 'internalToken';

/** The payload of an admin operation as sent: the operation's own payload and the token. */
export function withInternalToken<P extends object>(payload: P, token: string): P {
  return { ...payload, [INTERNAL_TOKEN_FIELD]: token };
}

/**
 * Constant-time comparison of two secrets: both are hashed first, so neither the time taken nor an early length
 * mismatch tells a caller how much of a guess was right, or how long the token is.
 */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected)) && expected.length > 0;
}

/**
 * Every service's guard (startMicroservice installs it): a message for an admin-only operation without the
 * token is refused with 401, one with a wrong token with 403, before its payload is validated or its handler
 * runs. Other messages pass untouched. A service without a token of its own refuses every admin message.
 */
@Injectable()
export class InternalTokenGuard implements CanActivate {
  constructor(private readonly expected: string) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'rpc') return true;
    const operation = operationOf(context.getHandler());
    if (!operation?.admin) return true;
    const data: unknown = context.switchToRpc().getData();
    const payload = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
    const given = payload?.[INTERNAL_TOKEN_FIELD];
    // The token is not part of the operation's payload: its validation would refuse the field.
    if (payload) delete payload[INTERNAL_TOKEN_FIELD];
    const cmd = operation.pattern.cmd;
    if (typeof given !== 'string' || given === '')
      throw new UnauthorizedException(
        `${cmd} is an admin operation: the message must carry the internal token (INTERNAL_TOKEN)`,
      );
    if (!sameSecret(given, this.expected))
      throw new ForbiddenException(`${cmd} is an admin operation: the internal token is not this service's`);
    return true;
  }
}
