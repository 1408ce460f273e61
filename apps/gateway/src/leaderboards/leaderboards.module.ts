import { Module } from '@nestjs/common';
import { LeaderboardsClient } from './leaderboards-client';
import { LeaderboardsController } from './leaderboards.controller';

/** GET /api/leaderboards/...: answered by the query-service's sorted sets. */
@Module({ controllers: [LeaderboardsController], providers: [LeaderboardsClient] })
export class LeaderboardsRoutesModule {}
