import type { FastifyInstance } from 'fastify';
import { LATENCY_BUCKETS, metricSpec, MetricsRegistry } from '@app/platform';

/**
 * cmiyc_http_request_duration_seconds{method, route, status}: every answered request, by route template
 * (`/api/flights/:id`, never the raw URL: the number of series stays bounded; `unmatched` for a 404 without a
 * route), timed by Fastify from its arrival to the last byte written. Its _count is the request rate.
 */
export function installHttpMetrics(fastify: FastifyInstance, metrics: MetricsRegistry): HttpRecorder {
  const duration = metrics.histogram({
    name: 'cmiyc_http_request_duration_seconds',
    help: metricSpec('cmiyc_http_request_duration_seconds').help,
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
  });
  // One child per series, looked up by a string: prom-client would hash the label object on every answer.
  const series = new Map<string, { observe(seconds: number): void }>();
  const record: HttpRecorder = (method, route, status, seconds) => {
    const id = `${method} ${status} ${route}`;
    let child = series.get(id);
    if (!child) series.set(id, (child = duration.labels({ method, route, status: String(status) })));
    child.observe(seconds);
  };
  fastify.addHook('onResponse', (request, reply, done) => {
    record(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });
  return record;
}

/** Counts one answered request in cmiyc_http_request_duration_seconds (route: the route's template). */
export type HttpRecorder = (method: string, route: string, status: number, seconds: number) => void;
