import helmet from 'helmet';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

const POLICY: Parameters<typeof helmet>[0] = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      baseUri: ["'self'"],
      connectSrc: ["'self'"],
      fontSrc: ["'self'", 'https:', 'data:'],
      formAction: ["'self'"],
      frameAncestors: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      objectSrc: ["'none'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'", 'https:', "'unsafe-inline'"],
    },
  },
  strictTransportSecurity: false,
};

/**
 * Security headers on every answer (helmet), with a Content-Security-Policy the gateway's own pages live
 * within: the dashboard at `/` loads its scripts and styles from the gateway itself (/assets, /vendor), Swagger UI
 * at /docs has inline <style> blocks and Bull Board at /queues inline style attributes and a font stylesheet, so
 * scripts come from this origin only and styles may also be inline or https. The gateway speaks plain HTTP
 * (TLS, if any, ends in front of it): no HSTS, and no upgrade of the pages' requests to https.
 * The headers are worked out once from helmet (securityHeaders): @fastify/helmet builds helmet's middleware again
 * for every request, which cost a quarter of the gateway's time per cached read.
 */
export function applySecurityHeaders(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const headers = securityHeaders();
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}

let workedOut: Readonly<Record<string, string>> | undefined;

/**
 * The headers helmet sets with this policy, worked out once: they depend on nothing in the request, so every
 * answer (and the hit lane, see HitRoutes) gets the same ones without running helmet's middleware each time.
 */
export function securityHeaders(): Readonly<Record<string, string>> {
  if (workedOut) return workedOut;
  const headers: Record<string, string> = {};
  const collect = {
    setHeader: (name: string, value: string | number | string[]) =>
      (headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)),
    removeHeader: (name: string) => delete headers[name.toLowerCase()],
  };
  let failed: unknown;
  helmet(POLICY)({} as never, collect as never, (e?: unknown) => (failed = e));
  if (failed) throw failed instanceof Error ? failed : new Error(String(failed));
  return (workedOut = Object.freeze(headers));
}
