import {
  CanActivate,
  ExecutionContext,
  HttpException,
  HttpStatus,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AdminCredentials, basicCredentials } from './admin-credentials';

/** The realm of the admin's HTTP Basic challenge (admin routes and /queues). */
export const ADMIN_REALM = 'cmiyc admin';

/**
 * HTTP Basic with the admin credentials from configuration (ADMIN_USER / ADMIN_PASSWORD): 401 without them,
 * 429 with Retry-After once the client has failed too often (see AdminCredentials).
 */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(private readonly credentials: AdminCredentials) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const result = await this.credentials.attempt(
      request.ip,
      basicCredentials(request.headers.authorization),
    );
    if (result.outcome === 'ok') return true;
    if (result.outcome === 'throttled') {
      reply.header('Retry-After', String(result.retryAfterSeconds));
      throw tooManyFailedLogins(result.retryAfterSeconds);
    }
    reply.header('WWW-Authenticate', `Basic realm="${ADMIN_REALM}"`);
    throw new UnauthorizedException('Admin credentials required (HTTP Basic)');
  }
}

/** 429 in the contract's error shape. */
export function tooManyFailedLogins(retryAfterSeconds: number): HttpException {
  const status = HttpStatus.TOO_MANY_REQUESTS;
  return new HttpException(
    {
      statusCode: status,
      error: 'Too Many Requests',
      message: `Too many failed admin logins from this address: try again in ${retryAfterSeconds} s`,
    },
    status,
  );
}
