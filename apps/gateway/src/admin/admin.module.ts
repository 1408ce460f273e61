import { Module } from '@nestjs/common';
import { AdminAuthGuard } from './admin-auth.guard';
import { AdminController } from './admin.controller';
import { StatsReportService } from './stats-report.service';
import { WritesRoutesModule } from '../writes/writes.module';

/** GET /api/stats and DELETE /api/cache. */
@Module({
  imports: [WritesRoutesModule],
  controllers: [AdminController],
  providers: [StatsReportService, AdminAuthGuard],
})
export class AdminModule {}
