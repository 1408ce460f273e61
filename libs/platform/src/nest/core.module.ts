import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfig } from '../config/config';
import { AppConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { ValkeyModule } from '@app/cache';
import { CachePrimitivesModule } from '@app/cache';
import { DependencyHealth } from '../health/indicators';
import { SERVICE_NAME, ServiceHealthController } from '../health/service-health.controller';

/**
 * What every service process needs: validated config, the DataSource, Valkey connections and health checks.
 * `withHealthController` is false for the gateway: it has its own HTTP /health and holds no database connection
 * (it reads nothing from the database itself; query-service reports the database's health).
 */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, serviceName: string, withHealthController = true): DynamicModule {
    const database = withHealthController ? [DatabaseModule] : [];
    return {
      module: CoreModule,
      global: true,
      imports: [
        AppConfigModule.forRoot(config),
        ...database,
        ValkeyModule,
        CachePrimitivesModule,
        TerminusModule,
      ],
      controllers: withHealthController ? [ServiceHealthController] : [],
      providers: [DependencyHealth, { provide: SERVICE_NAME, useValue: serviceName }],
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
