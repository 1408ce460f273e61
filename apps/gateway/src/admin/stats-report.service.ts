import { Injectable } from '@nestjs/common';
import { CacheService, CacheStatsService, QueryClassStats, StatsSnapshot } from '@app/cache';
import { WritePathStats, WritePathStatsService } from '../writes/write-path-stats.service';

/** Figures from Valkey's INFO. keyspace_* and ops/s are server-wide (every client of this server), not per project. */
export interface ValkeyFigures {
  keyspaceHits: number;
  keyspaceMisses: number;
  hitRate: number | null;
  usedMemory: number;
  usedMemoryHuman: string;
  maxMemory: number;
  evictionPolicy: string;
  evictedKeys: number;
  opsPerSec: number;
}

export interface StatsReport {
  queries: QueryClassStats[];
  totals: StatsSnapshot['totals'];
  /** null when the cache is unreachable. */
  valkey: ValkeyFigures | null;
  cacheAvailable: boolean;
  /** Queue depths, the write-behind stream's length and consumer lag, invalidation lag. */
  writes: WritePathStats | null;
}

@Injectable()
export class StatsReportService {
  constructor(
    private readonly stats: CacheStatsService,
    private readonly cache: CacheService,
    private readonly writes: WritePathStatsService,
  ) {}

  async report(): Promise<StatsReport> {
    const [snapshot, valkey, writes] = await Promise.all([
      this.stats.snapshot(),
      this.valkeyFigures(),
      // Queue figures come from the queue server: a report without them beats no report.
      this.writes.snapshot().catch(() => null),
    ]);
    return {
      queries: snapshot.classes,
      totals: snapshot.totals,
      valkey,
      cacheAvailable: this.cache.isAvailable,
      writes,
    };
  }

  private async valkeyFigures(): Promise<ValkeyFigures | null> {
    const info = await this.cache.guard((c) => c.info());
    if (info === undefined) return null;
    const fields = new Map<string, string>();
    for (const line of info.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
    }
    const n = (name: string) => Number(fields.get(name) ?? 0);
    const hits = n('keyspace_hits');
    const misses = n('keyspace_misses');
    return {
      keyspaceHits: hits,
      keyspaceMisses: misses,
      hitRate: hits + misses ? Math.round((hits / (hits + misses)) * 1000) / 1000 : null,
      usedMemory: n('used_memory'),
      usedMemoryHuman: fields.get('used_memory_human') ?? '',
      maxMemory: n('maxmemory'),
      evictionPolicy: fields.get('maxmemory_policy') ?? '',
      evictedKeys: n('evicted_keys'),
      opsPerSec: n('instantaneous_ops_per_sec'),
    };
  }
}
