import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig, Endpoint } from '../config/config';
import { MetricsRegistry } from './metrics-registry';

export const METRICS_APP = Symbol('METRICS_APP');

/** Where a TCP service serves GET /metrics: its own *_HOST and its *_METRICS_PORT (0: nowhere). */
export function metricsAddress(
  config: AppConfig,
  app: string,
): (Endpoint & { variable: string }) | undefined {
  const table: Record<string, [Endpoint, number, string]> = {
    'query-service': [config.queryService, config.metrics.queryService, 'QUERY_SERVICE_METRICS_PORT'],
    'writer-service': [config.writerService, config.metrics.writerService, 'WRITER_SERVICE_METRICS_PORT'],
    'weather-service': [config.weatherService, config.metrics.weatherService, 'WEATHER_SERVICE_METRICS_PORT'],
    'cache-warmer': [config.cacheWarmer, config.metrics.cacheWarmer, 'CACHE_WARMER_METRICS_PORT'],
  };
  const entry = table[app];
  if (!entry || entry[1] === 0) return undefined;
  return { host: entry[0].host, port: entry[1], variable: entry[2] };
}

/** Answers GET /metrics (and only that) with the registry's text. */
export function metricsHandler(metrics: MetricsRegistry) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('GET /metrics\n');
      return;
    }
    metrics.metrics().then(
      (text) =>
        res.writeHead(200, { 'content-type': metrics.contentType }).end(req.method === 'HEAD' ? '' : text),
      (e: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${e.message}\n`),
    );
  };
}

/**
 * A TCP service's Prometheus endpoint: a small HTTP server next to its TCP listener, started with the app and
 * closed with it. A port already taken (a second instance on one machine) costs the metrics, never the service:
 * it is said once, as a warning.
 */
@Injectable()
export class MetricsEndpoint implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server?: Server;

  constructor(
    private readonly metrics: MetricsRegistry,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(METRICS_APP) private readonly app: string,
  ) {}

  /** The bound port (tests), once listening. */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    const at = metricsAddress(this.config, this.app);
    if (!at) return;
    const server = createServer(metricsHandler(this.metrics));
    server.keepAliveTimeout = 65_000; // longer than Prometheus keeps idle scrape connections
    try {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(at.port, at.host, () => {
          server.off('error', fail);
          ok();
        });
      });
      this.server = server;
      this.logger.log(`Prometheus metrics on http://${at.host}:${this.port}/metrics`);
    } catch (e) {
      this.logger.warn(
        `no metrics endpoint: cannot listen on ${at.host}:${at.port} (${at.variable}): ${(e as Error).message}`,
      );
    }
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}
