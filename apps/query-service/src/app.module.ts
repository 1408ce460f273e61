import { DynamicModule, Module } from '@nestjs/common';
import { AppConfig, CoreModule } from '@app/platform';
import { ReadsModule } from './reads/reads.module';
import { AskHealth, AskModule } from './ask/ask.module';
import { LeaderboardsModule } from './leaderboards/leaderboards.module';

@Module({})
export class QueryServiceModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: QueryServiceModule,
      imports: [
        CoreModule.forRoot(config, {
          name: 'query-service',
          database: true,
          serviceHealth: true,
          checks: AskHealth,
        }),
        ReadsModule,
        AskModule,
        LeaderboardsModule,
      ],
    };
  }
}
