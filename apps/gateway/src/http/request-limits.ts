import { BadRequestException, PayloadTooLargeException } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseQueryString } from 'node:querystring';
import { PAYLOAD_LIMITS, shapeProblem } from '@app/contracts';

/**
 * What the gateway reads from a client before any validation runs, so that no request can make it work for long:
 * - bodies: GATEWAY_BODY_LIMIT_BYTES (413 naming it as soon as Content-Length says more, before the body is read;
 *   Fastify's own 413 for a chunked body that grows past it);
 * - JSON and form bodies: PAYLOAD_LIMITS levels of nesting and keys (400 naming the limit), checked on the parsed
 *   value without recursion, before class-transformer and class-validator (which recurse) ever see it;
 * - query strings of the API: each parameter once (`?refresh=true&refresh=false` is a 400 naming it), at most
 *   PAYLOAD_LIMITS.maxKeys of them.
 * Every check is linear in a body of a few KiB: a hostile request costs microseconds, not the event loop.
 */
export function applyRequestLimits(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const bodyLimit = fastify.initialConfig.bodyLimit ?? 1024 * 1024;
  // Fastify's own JSON parser (it refuses __proto__ and constructor.prototype), then the shape limits.
  const json = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  app.useBodyParser('application/json', { bodyLimit }, (req, body, done) => {
    json(req as never, body.toString('utf8'), (err: Error | null, value?: unknown) => {
      if (err) return done(err, undefined);
      const problem = shapeProblem(value, PAYLOAD_LIMITS, 'JSON body');
      return problem ? done(new BadRequestException(problem), undefined) : done(null, value);
    });
  });
  app.useBodyParser('application/x-www-form-urlencoded', { bodyLimit }, (_req, body, done) => {
    // Parsing stops one key past the limit: the rest of the body is not even split.
    const value = parseQueryString(body.toString('utf8'), undefined, undefined, {
      maxKeys: PAYLOAD_LIMITS.maxKeys + 1,
    });
    const problem = shapeProblem(value, PAYLOAD_LIMITS, 'form body');
    return problem ? done(new BadRequestException(problem), undefined) : done(null, value);
  });
  // Callback style, not async: every request passes here, and a promise per request is measurable on hits.
  fastify.addHook('onRequest', (req: FastifyRequest, _reply, done) => {
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > bodyLimit)
      return done(
        new PayloadTooLargeException(
          `request body of ${length} bytes is larger than the limit of ${bodyLimit} bytes (GATEWAY_BODY_LIMIT_BYTES)`,
        ),
      );
    const problem = queryProblem(req);
    done(problem ? new BadRequestException(problem) : undefined);
  });
}

/** The API's query parameters are all scalars: a repeated one is ambiguous (which `refresh` counts?). */
function queryProblem(req: FastifyRequest): string | undefined {
  if (!req.url.startsWith('/api/') && !req.url.startsWith('/health')) return undefined;
  const query = req.query as Record<string, unknown> | undefined;
  if (!query || typeof query !== 'object') return undefined;
  let count = 0;
  for (const name in query) {
    if (++count > PAYLOAD_LIMITS.maxKeys)
      return `query string has more than ${PAYLOAD_LIMITS.maxKeys} parameters (limit: ${PAYLOAD_LIMITS.maxKeys} parameters)`;
    if (Array.isArray(query[name]))
      return `query parameter ${name} must be given once, not ${query[name].length} times`;
  }
  return undefined;
}
