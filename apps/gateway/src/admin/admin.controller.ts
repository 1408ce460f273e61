import { Controller, Delete, Get, HttpCode, UseGuards } from '@nestjs/common';
import {
  ApiBasicAuth,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminAuthGuard } from './admin-auth.guard';
import { CachePurgeService } from './cache-purge.service';
import { StatsReportService } from './stats-report.service';

@ApiTags('operations')
@Controller('api')
export class AdminController {
  constructor(
    private readonly stats: StatsReportService,
    private readonly purger: CachePurgeService,
  ) {}

  @Get('stats')
  @ApiOperation({
    summary:
      'Per-query hit/miss counts, hit rate, avg/p50/p99 latency for cache and database, speedup (all processes); Valkey INFO figures',
  })
  @ApiOkResponse({ description: '{queries, totals, valkey, cacheAvailable}' })
  report() {
    return this.stats.report();
  }

  @Delete('cache')
  @HttpCode(200)
  @UseGuards(AdminAuthGuard)
  @ApiBasicAuth()
  @ApiOperation({
    summary: "Delete this project's cached entries (its key prefix only); admin credentials required",
  })
  @ApiOkResponse({ description: '{deleted: number}' })
  @ApiUnauthorizedResponse({ description: 'Missing or wrong admin credentials' })
  @ApiTooManyRequestsResponse({
    description:
      'Too many failed admin logins from this client (ADMIN_LOGIN_MAX_FAILURES); Retry-After says when to retry',
  })
  @ApiServiceUnavailableResponse({ description: 'The cache is unreachable' })
  purge() {
    return this.purger.purge();
  }
}
