import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { REQUEST_ID_HEADER, requestContext } from '@app/contracts';
import { AppConfig, MetricsRegistry } from '@app/platform';
import { installHttpMetrics } from './http-metrics';
import { installRequestIds } from './request-id';

/**
 * Request ids and HTTP metrics on every route, and at LOG_LEVEL=debug one line per answered request (called by
 * createGatewayApp before the routes are registered).
 */
export function installObservability(app: NestFastifyApplication, config: AppConfig): void {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  installRequestIds(fastify);
  installHttpMetrics(fastify, app.get(MetricsRegistry));
  if (config.logLevel === 'debug' || config.logLevel === 'verbose') installAccessLog(fastify);
}

function installAccessLog(fastify: FastifyInstance): void {
  const logger = new Logger('Http');
  fastify.addHook('onResponse', (request, reply, done) => {
    const line = () =>
      logger.debug(
        `${request.method} ${request.url} -> ${reply.statusCode} in ${reply.elapsedTime.toFixed(1)} ms`,
      );
    const requestId = reply.getHeader(REQUEST_ID_HEADER);
    if (typeof requestId === 'string') requestContext.run({ requestId }, line);
    else line();
    done();
  });
}
