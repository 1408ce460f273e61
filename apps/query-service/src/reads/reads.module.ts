import { Module } from '@nestjs/common';
import { ReadsController } from './reads.controller';
import { ReadsRepository } from './reads.repository';
import { ReadsService } from './reads.service';
import { StructuredCache } from './structured-cache';

/** Cache-aside reads: controller (message patterns) -> service (caching) -> repository (SQL). */
@Module({
  controllers: [ReadsController],
  providers: [ReadsService, ReadsRepository, StructuredCache],
  exports: [ReadsRepository],
})
export class ReadsModule {}
