import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '@app/platform';

/** HTTP Basic with the admin credentials from configuration (ADMIN_USER / ADMIN_PASSWORD). */
@Injectable()
export class AdminAuthGuard implements CanActivate {
  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const header =
      http.getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization ?? '';
    const [scheme, encoded] = header.split(' ');
    if (scheme?.toLowerCase() === 'basic' && encoded) {
      const decoded = Buffer.from(encoded, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (
        colon > 0 &&
        same(decoded.slice(0, colon), this.config.admin.user) &&
        same(decoded.slice(colon + 1), this.config.admin.password)
      ) {
        return true;
      }
    }
    http
      .getResponse<{ header(name: string, value: string): void }>()
      .header('WWW-Authenticate', 'Basic realm="cmiyc admin"');
    throw new UnauthorizedException('Admin credentials required (HTTP Basic)');
  }
}

/** Constant-time comparison, so the response time does not reveal how much of a guess was right. */
function same(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
