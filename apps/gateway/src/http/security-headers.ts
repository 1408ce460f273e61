import helmet from 'helmet';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';

/**
 * Security headers on every answer (helmet), with a Content-Security-Policy the gateway's own pages live
 * within: the dashboard at `/` loads its scripts and styles from the gateway itself (/assets, /vendor), Swagger UI
 * at /docs has inline <style> blocks and Bull Board at /queues inline style attributes and a font stylesheet, so
 * scripts come from this origin only and styles may also be inline or https. The gateway speaks plain HTTP
 * (TLS, if any, ends in front of it): no HSTS, and no upgrade of the pages' requests to https.
 * Helmet's middleware is built once here: @fastify/helmet builds it again for every request, which cost a
 * quarter of the gateway's time per cached read.
 */
export function applySecurityHeaders(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const setHeaders = helmet({
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
  });
  fastify.addHook('onRequest', (request, reply, done) =>
    setHeaders(request.raw, reply.raw, (err?: unknown) => done(err as Error | undefined)),
  );
}
