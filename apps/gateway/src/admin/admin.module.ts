import { Module } from '@nestjs/common';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminController } from './admin.controller';
import { StatsReportService } from './stats.service';

/** GET /api/stats and DELETE /api/cache. */
@Module({
  controllers: [AdminController],
  providers: [StatsReportService, AdminAuthGuard],
})
export class AdminModule {}
