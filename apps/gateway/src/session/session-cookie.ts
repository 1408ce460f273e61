import { Inject, Injectable, Logger, UnauthorizedException } from '@nestjs/common';
import { Signer } from '@fastify/cookie';
import { randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { APP_CONFIG, AppConfig } from '@app/platform';

/** The cookie that carries the session id (signed: "<id>.<HMAC>"). */
export const SESSION_COOKIE = 'cmiyc_session';
/** Only the session routes ever receive it. */
const COOKIE_PATH = '/api/session';

/**
 * The session cookie: the id, signed with SESSION_SECRET by @fastify/cookie's signer (HMAC-SHA256, checked in
 * constant time), HttpOnly (no
 * script reads it), SameSite=Lax, Secure over HTTPS, scoped to /api/session. A cookie whose signature does not
 * match is refused without asking Valkey. With no SESSION_SECRET a random one is made at start: sessions then do
 * not survive a restart of the gateway, or work across several gateways, hence the warning.
 */
@Injectable()
export class SessionCookie {
  private readonly signer: Signer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    let secret = config.session.secret;
    if (!secret) {
      secret = randomBytes(32).toString('hex');
      new Logger('Sessions').warn(
        'SESSION_SECRET is not set: session cookies are signed with a secret made up at start, so sessions end ' +
          'when this gateway restarts and are not shared between gateways. Set SESSION_SECRET (openssl rand -hex 32).',
      );
    }
    this.signer = new Signer(secret, 'sha256');
  }

  /**
   * The session id the request carries. Throws 401 naming the problem: no cookie, or one whose signature does not
   * match (forged, or signed with another secret).
   */
  idOf(req: FastifyRequest): string {
    const raw = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (!raw) {
      throw new UnauthorizedException(
        'Not logged in: POST /api/session/login with {"passportNo": ...} or {"passengerId": ...} first',
      );
    }
    const { valid, value } = this.signer.unsign(raw);
    if (!valid || !value) {
      throw new UnauthorizedException(
        'The session cookie is not valid: its signature does not match (altered, or from another server). Log in again',
      );
    }
    return value;
  }

  /** The id, if the request carries a validly signed cookie (login rotates it away). */
  optionalIdOf(req: FastifyRequest): string | null {
    try {
      return this.idOf(req);
    } catch {
      return null;
    }
  }

  set(req: FastifyRequest, reply: FastifyReply, id: string): void {
    const secure = req.protocol === 'https' ? '; Secure' : '';
    reply.header(
      'set-cookie',
      `${SESSION_COOKIE}=${encodeURIComponent(this.signer.sign(id))}; Path=${COOKIE_PATH}; HttpOnly; SameSite=Lax${secure}`,
    );
  }

  clear(reply: FastifyReply): void {
    reply.header(
      'set-cookie',
      `${SESSION_COOKIE}=; Path=${COOKIE_PATH}; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax`,
    );
  }
}

/**
 * One cookie's value from a Cookie header (RFC 6265: "name=value" pairs separated by "; "). The plugin's own
 * parser is an ES module that only its Fastify registration loads; this one name is all the sessions need.
 */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  return undefined;
}
