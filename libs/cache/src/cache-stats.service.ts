import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { CacheGuard } from './cache-guard';
import { CacheSource } from './cache.types';
import { InfraKeys } from './keys';

/** Counters kept per query class, besides latencies per source. */
export type StatsCounter = 'loads' | 'coalesced' | 'waits' | 'bypassed' | 'negative' | 'stale' | 'nearHits';

export interface LatencySummary {
  count: number;
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface QueryClassStats {
  queryClass: string;
  hits: number;
  misses: number;
  hitRate: number;
  /** Of the hits, those answered from a process's near cache (memory), without a round trip to Valkey. */
  nearHits: number;
  /** Loader calls (database or upstream). Fewer than misses when concurrent misses shared one load. */
  loads: number;
  coalesced: number;
  waits: number;
  bypassed: number;
  negative: number;
  cache: LatencySummary;
  database: LatencySummary;
  upstream: LatencySummary;
  /** Average source latency ÷ average cache latency (null until both were seen). */
  speedup: number | null;
}

/** One class's stored figures (see CacheStatsService.raw). */
export interface RawClassStats {
  queryClass: string;
  counters: Record<string, number>;
  latency: Record<CacheSource, Array<[upperMs: number, samples: number]>>;
}

export interface StatsSnapshot {
  totals: Omit<QueryClassStats, 'queryClass'>;
  classes: QueryClassStats[];
}

// Latency histogram: bucket i holds samples up to 10 µs × 1.25^i (about ±12 % resolution up to minutes).
const BUCKET_BASE_US = 10;
const BUCKET_GROWTH = 1.25;
const bucketOf = (ms: number) =>
  Math.max(0, Math.ceil(Math.log((ms * 1000) / BUCKET_BASE_US) / Math.log(BUCKET_GROWTH)));
const bucketUpperMs = (i: number) => (BUCKET_BASE_US * BUCKET_GROWTH ** i) / 1000;

const SOURCES: CacheSource[] = ['cache', 'database', 'upstream'];
const FLUSH_EVERY_MS = 250;

interface Pending {
  counters: Map<string, number>;
  histograms: Map<string, Map<number, number>>;
}

/**
 * Hit/miss counts and latency histograms per query class, kept in Valkey so that every process adds to the same
 * totals (the dashboard shows the system, not one process). Samples are aggregated in memory and flushed in one
 * pipeline every 250 ms, so recording costs nothing on the request path.
 */
@Injectable()
export class CacheStatsService implements OnModuleInit, OnModuleDestroy {
  private pending: Pending = { counters: new Map(), histograms: new Map() };
  private timer?: NodeJS.Timeout;
  private readonly classes = new Set<string>();

  constructor(private readonly guard: CacheGuard) {}

  onModuleInit() {
    this.timer = setInterval(() => void this.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
  }

  async onModuleDestroy() {
    clearInterval(this.timer);
    await this.flush();
  }

  /** One answered request: where it came from and how long it took inside the service. */
  record(queryClass: string, source: CacheSource, ms: number): void {
    this.classes.add(queryClass);
    this.add(queryClass, `${source}:count`, 1);
    this.add(queryClass, `${source}:ms`, ms);
    const hk = `${queryClass}|${source}`;
    let h = this.pending.histograms.get(hk);
    if (!h) this.pending.histograms.set(hk, (h = new Map()));
    const b = bucketOf(ms);
    h.set(b, (h.get(b) ?? 0) + 1);
  }

  count(queryClass: string, counter: StatsCounter, n = 1): void {
    this.classes.add(queryClass);
    this.add(queryClass, counter, n);
  }

  private add(queryClass: string, field: string, n: number) {
    const k = `${queryClass}|${field}`;
    this.pending.counters.set(k, (this.pending.counters.get(k) ?? 0) + n);
  }

  /** Writes what was recorded since the last flush (also called by tests before reading). */
  async flush(): Promise<void> {
    const { counters, histograms } = this.pending;
    if (counters.size === 0 && histograms.size === 0) return;
    this.pending = { counters: new Map(), histograms: new Map() };
    await this.guard.run((c) => {
      const p = c.pipeline();
      for (const cls of this.classes) p.sadd(this.guard.key(InfraKeys.statsClasses()), cls);
      for (const [k, n] of counters) {
        const [cls, field] = k.split('|');
        const key = this.guard.key(InfraKeys.stats(cls));
        if (field.endsWith(':ms')) p.hincrbyfloat(key, field, n);
        else p.hincrby(key, field, n);
      }
      for (const [k, buckets] of histograms) {
        const [cls, source] = k.split('|');
        const key = this.guard.key(InfraKeys.latencyHistogram(cls, source as CacheSource));
        for (const [b, n] of buckets) p.hincrby(key, String(b), n);
      }
      return p.exec();
    });
    // Lost while the cache was down: statistics are best-effort by design, requests are not.
  }

  /** Totals across all processes, per class and overall. */
  async snapshot(): Promise<StatsSnapshot> {
    await this.flush();
    const result = await this.guard.run(async (c) => {
      const classes = (await c.smembers(this.guard.key(InfraKeys.statsClasses()))).sort();
      const p = c.pipeline();
      for (const cls of classes) {
        p.hgetall(this.guard.key(InfraKeys.stats(cls)));
        for (const s of SOURCES) p.hgetall(this.guard.key(InfraKeys.latencyHistogram(cls, s)));
      }
      const replies = (await p.exec()) ?? [];
      return { classes, replies: replies.map(([, v]) => (v ?? {}) as Record<string, string>) };
    });
    const perClass: QueryClassStats[] = [];
    const totalCounters: Record<string, number> = {};
    const totalHist: Record<CacheSource, Map<number, number>> = {
      cache: new Map(),
      database: new Map(),
      upstream: new Map(),
    };
    if (result) {
      const step = 1 + SOURCES.length;
      result.classes.forEach((cls, i) => {
        const counters = result.replies[i * step];
        const hists = SOURCES.map((_, j) => result.replies[i * step + 1 + j]);
        for (const [f, v] of Object.entries(counters)) totalCounters[f] = (totalCounters[f] ?? 0) + Number(v);
        SOURCES.forEach((s, j) => {
          for (const [b, n] of Object.entries(hists[j])) {
            totalHist[s].set(Number(b), (totalHist[s].get(Number(b)) ?? 0) + Number(n));
          }
        });
        perClass.push({ queryClass: cls, ...summarize(counters, hists) });
      });
    }
    const totals = summarize(
      Object.fromEntries(Object.entries(totalCounters).map(([k, v]) => [k, String(v)])),
      SOURCES.map((s) => Object.fromEntries([...totalHist[s]].map(([b, n]) => [String(b), String(n)]))),
    );
    return { totals, classes: perClass };
  }

  /**
   * The stored figures as they are, for exporters (GET /metrics): per class every counter (`<source>:count`,
   * `<source>:ms`, loads, coalesced, ...) and per source its latency histogram as [upper bound in ms, samples]
   * pairs, ascending, not cumulative. Totals of every process; undefined when Valkey does not answer.
   */
  async raw(): Promise<RawClassStats[] | undefined> {
    await this.flush();
    return this.guard.run(async (c) => {
      const classes = (await c.smembers(this.guard.key(InfraKeys.statsClasses()))).sort();
      const p = c.pipeline();
      for (const cls of classes) {
        p.hgetall(this.guard.key(InfraKeys.stats(cls)));
        for (const s of SOURCES) p.hgetall(this.guard.key(InfraKeys.latencyHistogram(cls, s)));
      }
      const replies = ((await p.exec()) ?? []).map(([, v]) => (v ?? {}) as Record<string, string>);
      const step = 1 + SOURCES.length;
      return classes.map((queryClass, i) => ({
        queryClass,
        counters: Object.fromEntries(Object.entries(replies[i * step]).map(([f, v]) => [f, Number(v)])),
        latency: Object.fromEntries(
          SOURCES.map((s, j) => [
            s,
            Object.entries(replies[i * step + 1 + j])
              .map(([b, n]): [number, number] => [bucketUpperMs(Number(b)), Number(n)])
              .sort((x, y) => x[0] - y[0]),
          ]),
        ) as RawClassStats['latency'],
      }));
    });
  }

  /** Forgets all statistics (every process). */
  async reset(): Promise<void> {
    this.pending = { counters: new Map(), histograms: new Map() };
    await this.guard.run(async (c) => {
      const classes = await c.smembers(this.guard.key(InfraKeys.statsClasses()));
      const keys = classes.flatMap((cls) => [
        this.guard.key(InfraKeys.stats(cls)),
        ...SOURCES.map((s) => this.guard.key(InfraKeys.latencyHistogram(cls, s))),
      ]);
      keys.push(this.guard.key(InfraKeys.statsClasses()));
      return c.unlink(...keys);
    });
  }
}

function summarize(
  counters: Record<string, string>,
  hists: Record<string, string>[],
): Omit<QueryClassStats, 'queryClass'> {
  const num = (f: string) => Number(counters[f] ?? 0);
  const latency = (s: CacheSource, hist: Record<string, string>): LatencySummary => {
    const count = num(`${s}:count`);
    return {
      count,
      avgMs: count ? round(num(`${s}:ms`) / count) : 0,
      p50Ms: percentile(hist, 0.5),
      p99Ms: percentile(hist, 0.99),
    };
  };
  const cache = latency('cache', hists[0]);
  const database = latency('database', hists[1]);
  const upstream = latency('upstream', hists[2]);
  const hits = cache.count;
  const misses = database.count + upstream.count;
  const sourceCount = database.count + upstream.count;
  const sourceAvg = sourceCount
    ? (database.avgMs * database.count + upstream.avgMs * upstream.count) / sourceCount
    : 0;
  return {
    hits,
    misses,
    hitRate: hits + misses ? round(hits / (hits + misses)) : 0,
    nearHits: num('nearHits'),
    loads: num('loads'),
    coalesced: num('coalesced'),
    waits: num('waits'),
    bypassed: num('bypassed'),
    negative: num('negative'),
    cache,
    database,
    upstream,
    speedup: cache.avgMs > 0 && sourceAvg > 0 ? round(sourceAvg / cache.avgMs) : null,
  };
}

function percentile(hist: Record<string, string>, q: number): number {
  const buckets = Object.entries(hist)
    .map(([b, n]) => [Number(b), Number(n)] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((s, [, n]) => s + n, 0);
  if (!total) return 0;
  let seen = 0;
  for (const [b, n] of buckets) {
    seen += n;
    if (seen >= q * total) return round(bucketUpperMs(b));
  }
  return round(bucketUpperMs(buckets[buckets.length - 1][0]));
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
