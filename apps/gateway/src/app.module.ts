import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule } from '@app/platform';
import { ServiceClientsModule } from './clients.module';
import { HealthController } from './health/health.controller';
import { DashboardModule } from './dashboard/dashboard.module';
import { WeatherGatewayModule } from './weather/weather.module';
import { ReadsRoutesModule } from './reads/reads.module';
import { AdminModule } from './admin/admin.module';
import { WritesRoutesModule } from './writes/writes.module';
import { AskRoutesModule } from './ask/ask.module';
import { GatewayMetricsModule } from './observability/gateway-metrics.module';
import { SessionModule } from './session/session.module';
import { LeaderboardsRoutesModule } from './leaderboards/leaderboards.module';
import { FlightChangesRoutesModule } from './flight-changes/flight-changes.module';

@Module({})
export class GatewayModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: GatewayModule,
      imports: [
        CoreModule.forRoot(config, { name: 'gateway', database: false, serviceHealth: false }),
        ServiceClientsModule.forRoot(config),
        DashboardModule,
        WeatherGatewayModule,
        ReadsRoutesModule,
        AdminModule,
        WritesRoutesModule,
        AskRoutesModule,
        GatewayMetricsModule,
        SessionModule,
        LeaderboardsRoutesModule,
        FlightChangesRoutesModule,
      ],
      controllers: [HealthController],
    };
  }
}
