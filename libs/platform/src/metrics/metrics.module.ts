import { DynamicModule, Module, Provider } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { CacheGuardMetrics } from './cache-guard.metrics';
import { METRICS_APP, MetricsEndpoint } from './metrics-endpoint';
import { MetricsRegistry } from './metrics-registry';
import { RpcObservabilityInterceptor } from './rpc-observability.interceptor';

export interface MetricsOptions {
  /** The app's name: the `app` label of every series, and which *_METRICS_PORT a service listens on. */
  app: string;
  /**
   * A TCP service: its messages are counted, timed and given their request's context (RpcObservabilityInterceptor),
   * and it serves GET /metrics on its own port. The gateway (false) serves /metrics on its HTTP port instead.
   */
  tcpService: boolean;
}

/**
 * Prometheus metrics of one app (imported by CoreModule): its registry with the process metrics and the cache
 * failure detector's figures; for a TCP service also its messages and its metrics port.
 */
@Module({})
export class MetricsModule {
  static forRoot(options: MetricsOptions): DynamicModule {
    const service: Provider[] = options.tcpService
      ? [{ provide: APP_INTERCEPTOR, useClass: RpcObservabilityInterceptor }, MetricsEndpoint]
      : [];
    return {
      module: MetricsModule,
      global: true,
      providers: [
        { provide: MetricsRegistry, useFactory: () => new MetricsRegistry(options.app) },
        { provide: METRICS_APP, useValue: options.app },
        CacheGuardMetrics,
        ...service,
      ],
      exports: [MetricsRegistry],
    };
  }
}
