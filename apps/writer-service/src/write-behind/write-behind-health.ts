import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig, ServiceChecks } from '@app/platform';
import { CacheService, DurableWriteKeys, streamsBacklog } from '@app/cache';
import { HealthReport } from '@app/contracts';

/**
 * The writer-service's own health check: the write-behind backlog. Accepted bookings that wait longer than
 * WRITE_BEHIND_DEGRADED_AFTER_MS to be persisted (no flusher running, a database that refuses them) make it
 * "degraded": still up — bookings are accepted and kept — but someone should look.
 */
@Injectable()
export class WriteBehindHealth implements ServiceChecks {
  constructor(
    private readonly cache: CacheService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async check(): Promise<HealthReport['details']> {
    const backlog = await this.cache.guard(
      (c) =>
        streamsBacklog(
          c,
          this.cache.keyInEveryShard(DurableWriteKeys.writeBehindStream()),
          DurableWriteKeys.writeBehindGroup(),
        ),
      'script',
    );
    // Valkey's own check already says when it cannot be asked.
    if (!backlog) return {};
    const limit = this.config.writeBehind.degradedAfterMs;
    const late = backlog.oldestAgeMs !== null && backlog.oldestAgeMs > limit;
    return {
      'write-behind': {
        status: 'up',
        state: late ? 'degraded' : 'ok',
        ...backlog,
        ...(late
          ? {
              message: `the oldest accepted booking has waited ${backlog.oldestAgeMs} ms (limit ${limit} ms)`,
            }
          : {}),
      },
    };
  }
}
