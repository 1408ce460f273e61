import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AppConfig } from '../config/config';
import { AppConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { ValkeyModule } from '../cache/valkey.module';
import { CachePrimitivesModule } from '../cache/cache.module';
import { DependencyHealth } from '../health/indicators';
import { SERVICE_NAME, ServiceHealthController } from '../health/service-health.controller';

/**
 * What every service process needs: validated config, the DataSource, Valkey connections and health checks.
 * `withHealthController` is false for the gateway, which has its own HTTP /health.
 */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig, serviceName: string, withHealthController = true): DynamicModule {
    return {
      module: CoreModule,
      global: true,
      imports: [AppConfigModule.forRoot(config), DatabaseModule, ValkeyModule, CachePrimitivesModule, TerminusModule],
      controllers: withHealthController ? [ServiceHealthController] : [],
      providers: [DependencyHealth, { provide: SERVICE_NAME, useValue: serviceName }],
      exports: [AppConfigModule, DatabaseModule, ValkeyModule, CachePrimitivesModule, TerminusModule, DependencyHealth, SERVICE_NAME],
    };
  }
}
