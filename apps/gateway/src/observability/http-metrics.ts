import type { FastifyInstance } from 'fastify';
import { LATENCY_BUCKETS, metricSpec, MetricsRegistry } from '@app/platform';

/**
 * cmiyc_http_request_duration_seconds{method, route, status}: every answered request, by route template
 * (`/api/flights/:id`, never the raw URL: the number of series stays bounded; `unmatched` for a 404 without a
 * route), timed by Fastify from its arrival to the last byte written. Its _count is the request rate.
 */
export function installHttpMetrics(fastify: FastifyInstance, metrics: MetricsRegistry): void {
  const duration = metrics.histogram({
    name: 'cmiyc_http_request_duration_seconds',
    help: metricSpec('cmiyc_http_request_duration_seconds').help,
    labelNames: ['method', 'route', 'status'],
    buckets: LATENCY_BUCKETS,
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}
