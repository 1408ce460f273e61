import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { publicDir } from './dashboard.paths';

/**
 * Serves the airport dashboard at `/` (index.html, app.js, style.css) with @fastify/static.
 * `wildcard: false` registers one route per file found at start-up instead of a catch-all, so unknown
 * paths (a mistyped /api/... route) still get the API's JSON 404.
 */
export function setupDashboard(app: NestFastifyApplication): void {
  app.useStaticAssets({ root: publicDir(), prefix: '/', index: ['index.html'], wildcard: false });
}
