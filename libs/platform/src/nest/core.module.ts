import { DynamicModule, Module, Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfig } from '../config/config';
import { AppConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { ValkeyModule } from '@app/cache';
import { CachePrimitivesModule } from '@app/cache';
import { DependencyHealth } from '../health/indicators';
import { MetricsModule } from '../metrics/metrics.module';
import {
  SERVICE_CHECKS,
  SERVICE_NAME,
  ServiceChecks,
  ServiceHealthController,
} from '../health/service-health.controller';

export interface CoreOptions {
  /** The app's name, in its health report and its Valkey connection names. */
  name: string;
  /** Holds a database connection (the gateway does not: the query-service reports the database's health). */
  database: boolean;
  /** Answers the gateway's health question over TCP (the gateway has its own HTTP /health). */
  serviceHealth: boolean;
  /** The service's own checks in that answer (the writer's write-behind backlog). */
  checks?: Type<ServiceChecks>;
}

/** What every service process needs: validated config, the DataSource, Valkey connections and health checks. */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, options: CoreOptions): DynamicModule {
    const database = options.database ? [DatabaseModule] : [];
    return {
      module: CoreModule,
      global: true,
      imports: [
        AppConfigModule.forRoot(config),
        ...database,
        ValkeyModule,
        CachePrimitivesModule,
        TerminusModule,
        // Prometheus: the app's registry; a TCP service also times its messages and serves /metrics itself.
        MetricsModule.forRoot({ app: options.name, tcpService: options.serviceHealth }),
      ],
      controllers: options.serviceHealth ? [ServiceHealthController] : [],
      providers: [
        DependencyHealth,
        { provide: SERVICE_NAME, useValue: options.name },
        ...(options.checks ? [{ provide: SERVICE_CHECKS, useClass: options.checks }] : []),
      ],
      exports: [
        AppConfigModule,
        ...database,
        ValkeyModule,
        CachePrimitivesModule,
        TerminusModule,
        DependencyHealth,
        SERVICE_NAME,
      ],
    };
  }
}
