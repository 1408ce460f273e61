import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/platform';

/** What one login attempt with HTTP Basic credentials comes to. */
export type LoginOutcome =
  | { outcome: 'ok' }
  /** Missing or wrong credentials (401). */
  | { outcome: 'denied' }
  /** Too many failures from this client lately: refused without looking at the credentials (429). */
  | { outcome: 'throttled'; retryAfterSeconds: number };

/**
 * The admin credentials (ADMIN_USER / ADMIN_PASSWORD) and the brake on guessing them: one client IP may fail
 * ADMIN_LOGIN_MAX_FAILURES times per ADMIN_LOGIN_WINDOW_SECONDS (counted by rate-limiter-flexible, in memory);
 * after that every attempt from it is refused until the window ends, right credentials or not. A success clears
 * the client's count. Shared by every admin route (AdminAuthGuard) and the queue dashboard (/queues).
 */
@Injectable()
export class AdminCredentials {
  private readonly failures: RateLimiterMemory;
  private readonly maxFailures: number;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.maxFailures = config.adminLogin.maxFailures;
    this.failures = new RateLimiterMemory({
      keyPrefix: 'admin-login',
      points: this.maxFailures,
      duration: config.adminLogin.windowSeconds,
    });
  }

  /** One attempt from `client` (its IP); `credentials` undefined when the request carried none. */
  async attempt(client: string, credentials?: { user: string; password: string }): Promise<LoginOutcome> {
    const counted = await this.failures.get(client);
    if (counted && counted.consumedPoints >= this.maxFailures)
      return { outcome: 'throttled', retryAfterSeconds: Math.max(1, Math.ceil(counted.msBeforeNext / 1000)) };
    // No credentials is no guess (a browser asks for them that way): refused, not counted.
    if (!credentials) return { outcome: 'denied' };
    const { user, password } = this.config.admin;
    // Both compared, always: the time taken does not tell which of the two was wrong.
    const userOk = same(credentials.user, user);
    const passwordOk = same(credentials.password, password);
    if (userOk && passwordOk) {
      await this.failures.delete(client);
      return { outcome: 'ok' };
    }
    await this.failures.penalty(client, 1);
    return { outcome: 'denied' };
  }
}

/** `Authorization: Basic base64(user:password)` -> its credentials, or undefined. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const [scheme, encoded] = (header ?? '').split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Constant-time comparison, so the response time does not reveal how much of a guess was right. */
function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
