import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { REQUEST_ID_HEADER, requestContext } from '@app/contracts';
import { AppConfig, MetricsRegistry } from '@app/platform';
import { HttpRecorder, installHttpMetrics } from './http-metrics';
import { installRequestIds } from './request-id';

/**
 * Request ids and HTTP metrics on every route, and at LOG_LEVEL=debug one line per answered request (called by
 * createGatewayApp before the routes are registered). Returns what the hit lane needs to be seen alike (HitRoutes).
 */
export function installObservability(
  app: NestFastifyApplication,
  config: AppConfig,
): { recordHttp: HttpRecorder; accessLog: boolean } {
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  installRequestIds(fastify);
  const recordHttp = installHttpMetrics(fastify, app.get(MetricsRegistry));
  const accessLog = config.logLevel === 'debug' || config.logLevel === 'verbose';
  if (accessLog) installAccessLog(fastify);
  return { recordHttp, accessLog };
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
