import { Module } from '@nestjs/common';
import { StructuredCache } from '../reads/structured-cache';
import { LeaderboardsController } from './leaderboards.controller';
import { LeaderboardsRepository } from './leaderboards.repository';
import { LeaderboardsService } from './leaderboards.service';

/** Airport leaderboards of a day: sorted sets built from the database on a miss, under the stampede lock. */
@Module({
  controllers: [LeaderboardsController],
  providers: [LeaderboardsService, LeaderboardsRepository, StructuredCache],
})
export class LeaderboardsModule {}
