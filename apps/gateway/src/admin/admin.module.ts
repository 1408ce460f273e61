import { Module } from '@nestjs/common';
import { AdminAccessModule } from './admin-access.module';
import { AdminController } from './admin.controller';
import { CachePurgeService } from './cache-purge.service';
import { StatsReportService } from './stats-report.service';
import { WritesRoutesModule } from '../writes/writes.module';

/** GET /api/stats and DELETE /api/cache. */
@Module({
  imports: [WritesRoutesModule, AdminAccessModule],
  controllers: [AdminController],
  providers: [StatsReportService, CachePurgeService],
})
export class AdminModule {}
