import { Injectable } from '@nestjs/common';
import { CacheStatsService, RawClassStats } from '@app/cache';
import {
  HistogramSeries,
  LATENCY_BUCKETS,
  MetricName,
  metricSpec,
  MetricsRegistry,
  Sample,
  sharedRead,
} from '@app/platform';
import { WritePathStats, WritePathStatsService } from '../writes/write-path-stats.service';

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed', 'completed'] as const;

/** Counters of CacheStatsService exported one to one: stored field -> metric. */
const CLASS_COUNTERS: Array<[field: string, name: MetricName]> = [
  ['loads', 'cmiyc_cache_loads_total'],
  ['coalesced', 'cmiyc_cache_coalesced_total'],
  ['waits', 'cmiyc_cache_lock_waits_total'],
  ['bypassed', 'cmiyc_cache_bypassed_total'],
  ['negative', 'cmiyc_cache_negative_total'],
  ['stale', 'cmiyc_cache_stale_total'],
];

/**
 * The figures every process adds to, exported by the gateway only (exported by each process, Prometheus would
 * count them once per process): per query class hits, misses, loads, stampede counters and latency histograms
 * (CacheStatsService, kept in Valkey), and the write path (queue depths, the write-behind backlog, invalidation
 * lag: WritePathStatsService, as GET /api/stats shows them). Read once per scrape, when Prometheus asks.
 */
@Injectable()
export class SharedFigures {
  constructor(metrics: MetricsRegistry, stats: CacheStatsService, writes: WritePathStatsService) {
    const classes = sharedRead(async () => (await stats.raw()) ?? null);
    const writePath = sharedRead(() => writes.snapshot());
    const perClass = (sample: (c: RawClassStats) => Sample[]) => async () =>
      ((await classes()) ?? []).flatMap(sample);

    metrics.scraped({
      name: 'cmiyc_shared_figures_up',
      help: metricSpec('cmiyc_shared_figures_up').help,
      type: 'gauge',
      read: async () => {
        const [c, w] = await Promise.all([classes(), writePath()]);
        return [{ value: c !== null && w.writeBehind !== null ? 1 : 0 }];
      },
    });
    metrics.scraped({
      name: 'cmiyc_cache_hits_total',
      help: metricSpec('cmiyc_cache_hits_total').help,
      type: 'counter',
      read: perClass((c) => {
        const hits = c.counters['cache:count'] ?? 0;
        const near = c.counters.nearHits ?? 0;
        return [
          { labels: { query_class: c.queryClass, source: 'remote' }, value: Math.max(0, hits - near) },
          { labels: { query_class: c.queryClass, source: 'near' }, value: near },
        ];
      }),
    });
    metrics.scraped({
      name: 'cmiyc_cache_misses_total',
      help: metricSpec('cmiyc_cache_misses_total').help,
      type: 'counter',
      read: perClass((c) => [
        {
          labels: { query_class: c.queryClass },
          value: (c.counters['database:count'] ?? 0) + (c.counters['upstream:count'] ?? 0),
        },
      ]),
    });
    for (const [field, name] of CLASS_COUNTERS) {
      metrics.scraped({
        name,
        help: metricSpec(name).help,
        type: 'counter',
        read: perClass((c) => [{ labels: { query_class: c.queryClass }, value: c.counters[field] ?? 0 }]),
      });
    }
    metrics.scraped({
      name: 'cmiyc_cache_request_duration_seconds',
      help: metricSpec('cmiyc_cache_request_duration_seconds').help,
      type: 'histogram',
      read: async () => ((await classes()) ?? []).flatMap(latencySeries),
    });

    metrics.scraped({
      name: 'cmiyc_queue_jobs',
      help: metricSpec('cmiyc_queue_jobs').help,
      type: 'gauge',
      read: async () =>
        (await writePath()).queues.flatMap((q) =>
          'unavailable' in q
            ? []
            : JOB_STATES.map((state) => ({ labels: { queue: q.name, state }, value: q[state] })),
        ),
    });
    metrics.scraped({
      name: 'cmiyc_queue_up',
      help: metricSpec('cmiyc_queue_up').help,
      type: 'gauge',
      read: async () =>
        (await writePath()).queues.map((q) => ({
          labels: { queue: q.name },
          value: 'unavailable' in q ? 0 : 1,
        })),
    });
    const stream = (pick: (w: NonNullable<WritePathStats['writeBehind']>) => number) => async () => {
      const w = (await writePath()).writeBehind;
      return w ? [{ value: pick(w) }] : [];
    };
    metrics.scraped({
      name: 'cmiyc_write_behind_stream_length',
      help: metricSpec('cmiyc_write_behind_stream_length').help,
      type: 'gauge',
      read: stream((w) => w.streamLength),
    });
    metrics.scraped({
      name: 'cmiyc_write_behind_pending',
      help: metricSpec('cmiyc_write_behind_pending').help,
      type: 'gauge',
      read: stream((w) => w.backlog.pending + w.backlog.undelivered),
    });
    metrics.scraped({
      name: 'cmiyc_write_behind_oldest_age_seconds',
      help: metricSpec('cmiyc_write_behind_oldest_age_seconds').help,
      type: 'gauge',
      read: stream((w) => (w.backlog.oldestAgeMs ?? 0) / 1000),
    });
    metrics.scraped({
      name: 'cmiyc_write_behind_consumer_lag',
      help: metricSpec('cmiyc_write_behind_consumer_lag').help,
      type: 'gauge',
      read: async () =>
        ((await writePath()).writeBehind?.groups ?? []).map((g) => ({
          labels: { group: g.group },
          value: g.lag ?? 0,
        })),
    });
    metrics.scraped({
      name: 'cmiyc_invalidation_lag_recent_seconds',
      help: metricSpec('cmiyc_invalidation_lag_recent_seconds').help,
      type: 'gauge',
      read: async () => {
        const lag = (await writePath()).invalidationLag;
        if (!lag) return [];
        return [
          { labels: { stat: 'p50' }, value: lag.p50Ms / 1000 },
          { labels: { stat: 'p99' }, value: lag.p99Ms / 1000 },
          { labels: { stat: 'max' }, value: lag.maxMs / 1000 },
        ];
      },
    });
  }
}

/**
 * A class's latency histograms in Prometheus buckets. The stored histogram is finer (buckets 25 % apart, by upper
 * bound): a stored bucket counts under the first Prometheus bound at or above its own upper bound, so a bucket's
 * count may include samples up to 25 % above the bound below it.
 */
export function latencySeries(c: RawClassStats): HistogramSeries[] {
  return Object.entries(c.latency).flatMap(([source, stored]) => {
    const count = c.counters[`${source}:count`] ?? 0;
    if (count === 0 && stored.length === 0) return [];
    const buckets: Array<[number, number]> = [];
    let i = 0;
    let seen = 0;
    for (const le of LATENCY_BUCKETS) {
      while (i < stored.length && stored[i][0] / 1000 <= le * (1 + 1e-9)) seen += stored[i++][1];
      buckets.push([le, seen]);
    }
    return [
      {
        labels: { query_class: c.queryClass, source },
        buckets,
        sum: (c.counters[`${source}:ms`] ?? 0) / 1000,
        count: Math.max(count, seen),
      },
    ];
  });
}
