import { Inject, Injectable } from '@nestjs/common';
import { Queue } from 'bullmq';
import { CacheService, DurableWriteKeys, StreamBacklog, WriteKeys, streamBacklog } from '@app/cache';
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
    const key = this.cache.key(DurableWriteKeys.writeBehindStream());
    const reply = await this.cache.guard(async (c) => {
      const length = await c.xlen(key);
      const groups =
        length === 0 && !(await c.exists(key)) ? [] : ((await c.xinfo('GROUPS', key)) as unknown[][]);
      // Bookings accepted and not yet persisted: how many, and how long the oldest has waited.
      const backlog = await streamBacklog(c, key, DurableWriteKeys.writeBehindGroup());
      return { length, groups, backlog };
    });
    if (!reply) return null;
    return {
      streamLength: reply.length,
      backlog: reply.backlog,
      groups: reply.groups.map((flat) => {
        const g = pairs(flat);
        return {
          group: String(g.name),
          consumers: Number(g.consumers),
          pending: Number(g.pending),
          lag: g.lag === null || g.lag === undefined ? null : Number(g.lag),
        };
      }),
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
