import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { CacheService, DurableWriteKeys, StreamBacklog, WriteKeys, streamsBacklog } from '@app/cache';
import { withTimeout } from '@app/platform';
import { PROJECT_QUEUES } from '../queues/queues.module';

export interface QueueDepth {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  prioritized: number;
  failed: number;
  completed: number;
  /** Job schedulers of the queue (scheduled warming). */
  schedulers: number;
}

export interface StreamGroupFigures {
  group: string;
  consumers: number;
  /** Read by a flusher but not yet acknowledged. */
  pending: number;
  /** Entries not yet delivered to any flusher (XINFO GROUPS lag). */
  lag: number | null;
}

export interface LagSummary {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface WritePathStats {
  /** null for a queue the queue server did not answer for in time. */
  queues: Array<QueueDepth | { name: string; unavailable: true }>;
  /** null when the cache server is unavailable. */
  writeBehind: { streamLength: number; groups: StreamGroupFigures[]; backlog: StreamBacklog } | null;
  /** Event committed -> tagged keys gone, over the last samples of every warmer; null before the first. */
  invalidationLag: LagSummary | null;
}

/** How long the figures wait for a queue server that does not answer. */
const ANSWER_WITHIN_MS = 1000;

/** The write path's figures for GET /api/stats: queue depths, write-behind backlog, invalidation lag. */
@Injectable()
export class WritePathStatsService {
  constructor(
    @Inject(PROJECT_QUEUES) private readonly queues: Queue[],
    private readonly cache: CacheService,
  ) {}

  async snapshot(): Promise<WritePathStats> {
    const [queues, writeBehind, invalidationLag] = await Promise.all([
      Promise.all(this.queues.map((q) => this.depth(q))),
      this.stream(),
      this.lag(),
    ]);
    return { queues, writeBehind, invalidationLag };
  }

  private async depth(q: Queue): Promise<QueueDepth | { name: string; unavailable: true }> {
    try {
      const [counts, schedulers] = await withTimeout(
        Promise.all([
          q.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'),
          q.getJobSchedulersCount(),
        ]),
        ANSWER_WITHIN_MS,
      );
      return {
        name: q.name,
        waiting: counts.waiting ?? 0,
        active: counts.active ?? 0,
        delayed: counts.delayed ?? 0,
        prioritized: counts.prioritized ?? 0,
        failed: counts.failed ?? 0,
        completed: counts.completed ?? 0,
        schedulers,
      };
    } catch {
      return { name: q.name, unavailable: true };
    }
  }

  private async stream(): Promise<WritePathStats['writeBehind']> {
    // One stream on one server; one per shard on a cluster, summed here.
    const keys = this.cache.keyInEveryShard(DurableWriteKeys.writeBehindStream());
    const group = DurableWriteKeys.writeBehindGroup();
    const reply = await this.cache.guard(async (c) => {
      const shards = await Promise.all(
        keys.map(async (key) => {
          const length = await c.xlen(key);
          const groups =
            length === 0 && !(await c.exists(key)) ? [] : ((await c.xinfo('GROUPS', key)) as unknown[][]);
          return { length, groups };
        }),
      );
      // Bookings accepted and not yet persisted: how many, and how long the oldest has waited.
      const backlog = await streamsBacklog(c, keys, group);
      return { shards, backlog };
    });
    if (!reply) return null;
    const groups = new Map<
      string,
      { group: string; consumers: number; pending: number; lag: number | null }
    >();
    for (const flat of reply.shards.flatMap((s) => s.groups)) {
      const g = pairs(flat);
      const name = String(g.name);
      const lag = g.lag === null || g.lag === undefined ? null : Number(g.lag);
      const seen = groups.get(name);
      groups.set(name, {
        group: name,
        consumers: (seen?.consumers ?? 0) + Number(g.consumers),
        pending: (seen?.pending ?? 0) + Number(g.pending),
        lag: seen === undefined ? lag : seen.lag === null || lag === null ? null : seen.lag + lag,
      });
    }
    return {
      streamLength: reply.shards.reduce((n, s) => n + s.length, 0),
      backlog: reply.backlog,
      groups: [...groups.values()],
    };
  }

  private async lag(): Promise<LagSummary | null> {
    const raw = await this.cache.guard((c) => c.lrange(this.cache.key(WriteKeys.invalidationLag()), 0, -1));
    if (!raw || raw.length === 0) return null;
    const sorted = raw.map(Number).sort((a, b) => a - b);
    const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
    return { samples: sorted.length, p50Ms: at(0.5), p99Ms: at(0.99), maxMs: sorted[sorted.length - 1] };
  }
}

function pairs(flat: unknown[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}
