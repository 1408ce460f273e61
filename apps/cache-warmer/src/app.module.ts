import { DynamicModule, Inject, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, CoreModule, serviceClients, warnUnlessNoEviction } from '@app/platform';
import { QUEUE_CLIENT, ValkeyClient } from '@app/cache';
import { EventHandlers } from './event-handlers';
import { LagRecorder } from './lag-recorder';
import { LagMetrics } from './lag-metrics';
import { Leaderboards } from './leaderboard';
import { WarmerService } from './warmer.service';
import { WarmerWorkers } from './workers';

@Module({})
export class CacheWarmerModule implements OnApplicationBootstrap {
  constructor(@Inject(QUEUE_CLIENT) private readonly queueServer: ValkeyClient) {}

  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: CacheWarmerModule,
      imports: [
        CoreModule.forRoot(config, { name: 'cache-warmer', database: true, serviceHealth: true }),
        // Warming sends the query-service the same messages the gateway sends.
        serviceClients(config, ['query']),
      ],
      providers: [Leaderboards, WarmerService, LagRecorder, LagMetrics, EventHandlers, WarmerWorkers],
      exports: [WarmerService, Leaderboards],
    };
  }

  onApplicationBootstrap() {
    void warnUnlessNoEviction(
      this.queueServer,
      'the queue server (events and warming)',
      new Logger('cache-warmer'),
    );
  }
}
