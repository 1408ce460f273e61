import { Module } from '@nestjs/common';
import { QueuesModule } from '../queues/queues.module';
import { Idempotency } from './idempotency';
import { WritePathStatsService } from './write-path-stats.service';
import { WritesClient } from './writes-client';
import { WritesController } from './writes.controller';

/** The write routes of the contract (answered by the writer-service) and the write path's figures. */
@Module({
  imports: [QueuesModule],
  controllers: [WritesController],
  providers: [WritesClient, WritePathStatsService, Idempotency],
  exports: [WritePathStatsService],
})
export class WritesRoutesModule {}
