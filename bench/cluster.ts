/**
 * `npm run bench:cluster`: what a Valkey Cluster (3 masters, 1 replica each) changes against one server, measured
 * in one run on this machine, both started by the bench from the same redis-server binary without persistence
 * (RedisCluster, TestRedisServer), so neither has an advantage the other lacks:
 *  1. Hit throughput: cache-aside hits (CacheService.getOrLoad) on HOT_KEYS pre-filled keys, near cache off
 *     (CACHE_NEAR_MAX_BYTES=0) and coalescing off, so every hit is a GET + PTTL round trip to the server; a closed
 *     loop of BENCH_CONCURRENCY requests in all (split over HIT_WORKERS Node processes, each with its own
 *     connections) for BENCH_SECONDS after a warm-up. Hits/s, cluster/single, latency p50/p99. On a cluster every
 *     key goes to its shard's master, so the question is what the cluster client's routing costs and whether
 *     spreading over masters pays where the client, not one server, is the limit.
 *  2. Stampede: STAMPEDE_KEYS cold keys, STAMPEDE_PER_KEY concurrent requests each, spread over
 *     STAMPEDE_INSTANCES independent primitives (each its own connections, lock client and fill subscriber, as
 *     separate processes would have), loader STAMPEDE_LOADER_MS. Each instance coalesces its own callers (the
 *     default), so the instances' trips meet only at the cross-client lock: it alone must keep the loader to one
 *     call per key, also when locks, fill notifications and entries live on three masters.
 *     BENCH_STAMPEDE_COALESCE=false sends every request through the lock by itself (20,000 trips at once: on a
 *     2-core machine that is an overload test of the failure detector more than of the lock).
 *  3. Write-behind flush rate: BENCH_CLUSTER_WB bookings accepted with no flusher running, then the same
 *     process's WriteBehindFlusher started and timed until the database holds all of them (persisted/s). On the
 *     single server (one stream), on the cluster with CACHE_SHARDS=1 (one stream, one master) and CACHE_SHARDS=3
 *     (one stream per shard, each drained by lanes of its own): does sharding the stream raise the flush rate, or
 *     is the database the limit? WB_ROUNDS interleaved runs of each, after an unreported warm-up run.
 * The load average at start and end says whether the machine was quiet. Uses its own database (BENCH_DB_NAME,
 * default cmiyc_bench_cluster, seeded at `tiny` scale when empty; each run adds its own 100-seat flights), engine
 * and database server from the usual environment (DB_ENGINE...); the cache servers are the bench's own (the
 * machine's CACHE_HOST is not used), stopped at the end with their keys.
 * BENCH_SECONDS (default 5), BENCH_CONCURRENCY (default 64; also the write-behind acceptance concurrency) and
 * BENCH_CLUSTER_WB (default 5000) size the runs.
 */
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ChildProcess, execFileSync, fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { AppConfig, bind, Dialect, loadConfig } from '@app/platform';
import {
  CacheService,
  CachePrimitives,
  DurableWriteKeys,
  ValkeyClient,
  createCachePrimitives,
  createValkeyClient,
} from '@app/cache';
import { seatName } from '@app/contracts';
import { RedisCluster } from '../test/support/redis-cluster';
import { TestRedisServer } from '../test/support/redis-server';
import { benchDatabaseName, createBenchFlights, pct, prepareBenchDatabase } from './support';
import { WriterServiceModule } from '../apps/writer-service/src/app.module';
import { BookingsService } from '../apps/writer-service/src/bookings/bookings.service';
import { WriteBehindFlusher } from '../apps/writer-service/src/write-behind/flusher';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const WB = Number(process.env.BENCH_CLUSTER_WB ?? 5000);
const HOT_KEYS = 1000;
const HIT_WORKERS = 2;
const WARMUP_MS = 1000;
const STAMPEDE_KEYS = 20;
const STAMPEDE_PER_KEY = 1000;
const STAMPEDE_INSTANCES = 8;
/** false: every request its own trip through the lock (no in-process sharing at all). */
const STAMPEDE_COALESCE = process.env.BENCH_STAMPEDE_COALESCE !== 'false';
const STAMPEDE_LOADER_MS = 100;
/** Seats per bench flight: more, smaller flights spread the bookings over the shards. */
const CAPACITY = 100;
/** Longest the flusher may take to persist one run's backlog before the bench reports it as stuck. */
const FLUSH_DEADLINE_MS = 120_000;
/** Measured write-behind runs of each configuration, interleaved (after one unreported warm-up run). */
const WB_ROUNDS = 2;
const PREFIX = `cmiyc-bench-cluster:${process.pid}:`;
/** A cached value about the size of a flight's JSON. */
const HOT_VALUE = { id: 0, flightno: 'BENCH', from: 'FRA', to: 'JFK', padding: 'x'.repeat(480) };

interface Topology {
  name: 'single' | 'cluster';
  env: NodeJS.ProcessEnv;
}

interface HitJob {
  config: AppConfig;
  keys: string[];
  concurrency: number;
  seconds: number;
}

interface HitReport {
  hits: number;
  misses: number;
  errors: number;
  seconds: number;
  latencies: number[];
}

interface HitResult {
  perSecond: number;
  p50: number;
  p99: number;
  misses: number;
  errors: number;
}

interface StampedeResult {
  loaderCalls: number;
  keysLoadedOnce: number;
  failures: number;
  seconds: number;
}

interface WriteBehindRun {
  label: string;
  config: AppConfig;
  results: FlushResult[];
}

interface FlushResult {
  accepted: number;
  refused: number;
  acceptPerSecond: number;
  backlog: number[];
  persisted: number;
  seconds: number;
  perSecond: number;
  left: number[];
  /** The flusher's own totals over its lanes: database, Valkey (finalize) and event publishing time. */
  phases: { databaseMs: number; valkeyMs: number; eventsMs: number; batches: number };
}

async function main() {
  const started = performance.now();
  const loadAtStart = loadavg();
  const base = loadConfig();
  const dbName = benchDatabaseName('cmiyc_bench_cluster', 'writes bookings into its own database');
  const db = { ...base.db, name: dbName, poolSize: Math.max(base.db.poolSize, 16) };
  const knobs = [
    'BENCH_SECONDS',
    'BENCH_CONCURRENCY',
    'BENCH_CLUSTER_WB',
    'BENCH_STAMPEDE_COALESCE',
    'BENCH_DB_NAME',
    'DB_ENGINE',
  ]
    .filter((k) => process.env[k] !== undefined)
    .map((k) => `${k}=${process.env[k]} `)
    .join('');
  console.log(`Command: ${knobs}npm run bench:cluster`);
  console.log(
    `Machine: ${cpus().length} CPUs, load average at start ${fmtLoad(loadAtStart)}; ${redisVersion()}; ` +
      `database ${db.flavor} ${dbName} on ${db.host}:${db.port}`,
  );
  await prepareBenchDatabase(db, 'tiny');

  const single = await TestRedisServer.start();
  let cluster: RedisCluster | undefined;
  try {
    const clusterStarted = performance.now();
    cluster = await RedisCluster.start({ masters: 3, replicasPerMaster: 1 });
    console.log(
      `Single server on port ${single.port}; cluster of 3 masters + 3 replicas on ${cluster.nodeList} ` +
        `(up in ${((performance.now() - clusterStarted) / 1000).toFixed(1)} s)\n`,
    );
    const topologies: Topology[] = [
      { name: 'single', env: { CACHE_HOST: '127.0.0.1', CACHE_PORT: String(single.port) } },
      { name: 'cluster', env: { CACHE_CLUSTER_NODES: cluster.nodeList } },
    ];
    const configOf = (t: Topology, part: string, extra: NodeJS.ProcessEnv = {}) =>
      topologyConfig(t, `${PREFIX}${t.name}:${part}:`, dbName, db.poolSize, extra);

    const hits: Record<string, HitResult> = {};
    for (const t of topologies) {
      progress(`hits on ${t.name}`);
      hits[t.name] = await hitThroughput(configOf(t, 'hits', { CACHE_COALESCE: 'false' }));
    }
    const stampedes: Record<string, StampedeResult> = {};
    for (const t of topologies) {
      progress(`stampede on ${t.name}`);
      stampedes[t.name] = await stampede(
        configOf(t, 'stampede', { CACHE_COALESCE: String(STAMPEDE_COALESCE) }),
      );
    }
    const flushes: WriteBehindRun[] = [
      { label: 'single server (1 stream)', config: configOf(topologies[0], 'wb'), results: [] },
      {
        label: 'cluster, CACHE_SHARDS=1',
        config: configOf(topologies[1], 'wb1', { CACHE_SHARDS: '1' }),
        results: [],
      },
      {
        label: 'cluster, CACHE_SHARDS=3',
        config: configOf(topologies[1], 'wb3', { CACHE_SHARDS: '3' }),
        results: [],
      },
    ];
    // Unreported: the first flush of the process pays for JIT compilation and cold database pages.
    progress('write-behind warm-up');
    await writeBehind(configOf(topologies[0], 'wb-warmup'), Math.ceil(WB / 5));
    for (let round = 1; round <= WB_ROUNDS; round++) {
      for (const run of flushes) {
        progress(`write-behind ${run.label} #${round}`);
        run.results.push(await writeBehind(run.config, WB));
      }
    }
    process.stdout.write('\n\n');
    report(hits, stampedes, flushes);
  } finally {
    await cluster?.stop();
    await single.stop();
  }
  console.log(
    `\nLoad average (1/5/15 min): start ${fmtLoad(loadAtStart)}, end ${fmtLoad(loadavg())}; ` +
      `run time ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
}

/**
 * The configuration of one part of the bench on one topology: its own key prefix, the bench's cache servers for
 * the cache and the queues alike (a QUEUE_* of the environment would send events elsewhere), the bench database.
 */
function topologyConfig(
  t: Topology,
  keyPrefix: string,
  dbName: string,
  poolSize: number,
  extra: NodeJS.ProcessEnv,
): AppConfig {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^(QUEUE_|CACHE_)/.test(k)) delete env[k];
  }
  return loadConfig({
    ...env,
    ...t.env,
    CACHE_KEY_PREFIX: keyPrefix,
    CACHE_NEAR_MAX_BYTES: '0',
    DB_NAME: dbName,
    DB_POOL_SIZE: String(poolSize),
    LOG_LEVEL: 'error',
    // No Prometheus endpoints: a service running on this machine may hold the default ports.
    QUERY_SERVICE_METRICS_PORT: '0',
    WRITER_SERVICE_METRICS_PORT: '0',
    WEATHER_SERVICE_METRICS_PORT: '0',
    CACHE_WARMER_METRICS_PORT: '0',
    ...extra,
  });
}

// ---- 1. Hit throughput ----------------------------------------------------------------------------------------

/** Fills the hot keys, then runs HIT_WORKERS processes of closed-loop hits at the same time. */
async function hitThroughput(config: AppConfig): Promise<HitResult> {
  const keys = Array.from({ length: HOT_KEYS }, (_, i) => `hot:${i}`);
  const filler = await createCachePrimitives(config);
  try {
    for (let i = 0; i < keys.length; i += 100) {
      await Promise.all(
        keys.slice(i, i + 100).map((k, j) =>
          filler.cache.getOrLoad(k, async () => ({ ...HOT_VALUE, id: i + j }), {
            queryClass: 'bench-hit',
            ttl: 3600,
          }),
        ),
      );
    }
  } finally {
    await filler.close();
  }
  const perWorker = Math.max(1, Math.round(CONCURRENCY / HIT_WORKERS));
  const workers = Array.from({ length: HIT_WORKERS }, () =>
    fork(__filename, ['hit-worker'], { serialization: 'advanced', stdio: 'inherit' }),
  );
  try {
    const reports = await Promise.all(
      workers.map((w) => ask<HitReport>(w, { config, keys, concurrency: perWorker, seconds: SECONDS })),
    );
    const latencies = reports.flatMap((r) => r.latencies).sort((a, b) => a - b);
    return {
      perSecond: reports.reduce((n, r) => n + r.hits / r.seconds, 0),
      p50: pct(latencies, 0.5),
      p99: pct(latencies, 0.99),
      misses: reports.reduce((n, r) => n + r.misses, 0),
      errors: reports.reduce((n, r) => n + r.errors, 0),
    };
  } finally {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGTERM');
  }
}

/** Sends a job to a worker; its one answer. */
function ask<T>(worker: ChildProcess, job: HitJob): Promise<T> {
  return new Promise((resolve, reject) => {
    worker.once('message', (m) => resolve(m as T));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`hit worker exited (${code}) before reporting`)));
    worker.send(job);
  });
}

/** In a worker process: its own primitives, a warm-up, then `concurrency` lanes of hits for `seconds`. */
async function hitWorker(job: HitJob): Promise<HitReport> {
  const p = await createCachePrimitives(job.config);
  let misses = 0;
  let errors = 0;
  const loader = async () => {
    misses++;
    return HOT_VALUE;
  };
  const run = async (ms: number, latencies: number[] | null) => {
    let hits = 0;
    const until = performance.now() + ms;
    const lane = async (start: number) => {
      for (let i = start; performance.now() < until; i += job.concurrency) {
        const t = performance.now();
        try {
          const r = await p.cache.getOrLoad(job.keys[i % job.keys.length], loader, {
            queryClass: 'bench-hit',
            ttl: 3600,
          });
          if (r.source === 'cache') {
            hits++;
            latencies?.push(performance.now() - t);
          }
        } catch {
          errors++;
        }
      }
    };
    // Lanes start at random keys: the workers do not walk the keys in step.
    const offset = Math.floor(Math.random() * job.keys.length);
    await Promise.all(Array.from({ length: job.concurrency }, (_, i) => lane(offset + i)));
    return hits;
  };
  try {
    await run(WARMUP_MS, null);
    misses = 0;
    errors = 0;
    const latencies: number[] = [];
    const t = performance.now();
    const hits = await run(job.seconds * 1000, latencies);
    return { hits, misses, errors, seconds: (performance.now() - t) / 1000, latencies };
  } finally {
    await p.close();
  }
}

// ---- 2. Stampede ----------------------------------------------------------------------------------------------

/** STAMPEDE_PER_KEY concurrent requests for each of STAMPEDE_KEYS cold keys over independent primitives. */
async function stampede(config: AppConfig): Promise<StampedeResult> {
  const instances: CachePrimitives[] = await Promise.all(
    Array.from({ length: STAMPEDE_INSTANCES }, () => createCachePrimitives(config)),
  );
  const calls = new Map<string, number>();
  let failures = 0;
  try {
    const keys = Array.from({ length: STAMPEDE_KEYS }, (_, k) => `cold:${k}`);
    const t = performance.now();
    await Promise.all(
      keys.flatMap((key) =>
        Array.from({ length: STAMPEDE_PER_KEY }, async (_, i) => {
          try {
            await instances[i % STAMPEDE_INSTANCES].cache.getOrLoad(
              key,
              async () => {
                calls.set(key, (calls.get(key) ?? 0) + 1);
                await sleep(STAMPEDE_LOADER_MS);
                return { key, loadedAt: Date.now() };
              },
              { queryClass: 'bench-stampede', ttl: 600 },
            );
          } catch {
            failures++;
          }
        }),
      ),
    );
    return {
      loaderCalls: [...calls.values()].reduce((a, b) => a + b, 0),
      keysLoadedOnce: [...calls.values()].filter((n) => n === 1).length,
      failures,
      seconds: (performance.now() - t) / 1000,
    };
  } finally {
    await Promise.all(instances.map((p) => p.close()));
  }
}

// ---- 3. Write-behind flush rate -------------------------------------------------------------------------------

/**
 * WB bookings accepted with the flusher stopped (a writer-service context with `flusher: false`), then the same
 * context's WriteBehindFlusher started and timed until the database has every accepted booking.
 */
async function writeBehind(config: AppConfig, n: number): Promise<FlushResult> {
  const app: INestApplicationContext = await NestFactory.createApplicationContext(
    WriterServiceModule.forRoot(config, { flusher: false }) as never,
    { logger: ['error'] },
  );
  await app.init();
  // The bench's own connection, patient (no short command timeout) for XLEN polls.
  const valkey = createValkeyClient(config.cache, { name: 'bench-cluster' });
  const flusher = app.get(WriteBehindFlusher);
  try {
    const ds = app.get(DataSource);
    const streams = app.get(CacheService).keyInEveryShard(DurableWriteKeys.writeBehindStream());
    const passengers = (
      await ds.query('SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT 5000')
    ).map((r: { passenger_id: number }) => Number(r.passenger_id));
    const flights = await createBenchFlights(ds, Math.ceil(n / CAPACITY), CAPACITY);
    const attempts = Array.from({ length: n }, (_, i) => ({
      flightId: flights[Math.floor(i / CAPACITY)],
      passengerId: passengers[i % passengers.length],
      seat: seatName(i % CAPACITY, CAPACITY),
      price: 99.5,
      mode: 'write-behind' as const,
    }));
    const bookings = app.get(BookingsService);
    let accepted = 0;
    let refused = 0;
    const firstError = new Set<string>();
    const t0 = performance.now();
    await inLanes(attempts, CONCURRENCY, async (a) => {
      try {
        await bookings.create(a);
        accepted++;
      } catch (e) {
        refused++;
        const message = (e as Error).message;
        if (firstError.size < 3 && !firstError.has(message)) {
          firstError.add(message);
          console.error(`\nwrite-behind booking refused: ${message}`);
        }
      }
    });
    const acceptSeconds = (performance.now() - t0) / 1000;
    const backlog = await xlens(valkey, streams);

    const d = Dialect.of(ds);
    const count = async () => {
      const [row] = await ds.query(
        ...bind(d, 'SELECT COUNT(*) AS n FROM booking WHERE flight_id >= :first AND flight_id <= :last', {
          first: flights[0],
          last: flights[flights.length - 1],
        }),
      );
      return Number(row.n);
    };
    const flushStarted = performance.now();
    flusher.start();
    let persisted = 0;
    while ((persisted = await count()) < accepted) {
      if (performance.now() - flushStarted > FLUSH_DEADLINE_MS) {
        const left = await xlens(valkey, streams);
        console.error(
          `\nflusher stuck: ${persisted} of ${accepted} persisted after ${FLUSH_DEADLINE_MS} ms; entries left per ` +
            `stream: ${streams.map((s, i) => `${s}=${left[i]}`).join(', ')}; flusher totals ` +
            JSON.stringify(flusher.totals),
        );
        break;
      }
      await sleep(10);
    }
    const seconds = (performance.now() - flushStarted) / 1000;
    await flusher.stop();
    const { databaseMs, valkeyMs, eventsMs, batches } = flusher.totals;
    return {
      phases: { databaseMs, valkeyMs, eventsMs, batches },
      accepted,
      refused,
      acceptPerSecond: accepted / acceptSeconds,
      backlog,
      persisted,
      seconds,
      perSecond: persisted / seconds,
      left: await xlens(valkey, streams),
    };
  } finally {
    await flusher.stop();
    await app.close();
    valkey.disconnect();
  }
}

async function xlens(valkey: ValkeyClient, streams: string[]): Promise<number[]> {
  return Promise.all(streams.map(async (s) => Number(await valkey.xlen(s))));
}

/** Runs the calls `concurrency` at a time. */
async function inLanes<A>(items: A[], concurrency: number, call: (a: A) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await call(items[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

// ---- Report ---------------------------------------------------------------------------------------------------

function report(
  hits: Record<string, HitResult>,
  stampedes: Record<string, StampedeResult>,
  flushes: WriteBehindRun[],
) {
  const [s, c] = [hits.single, hits.cluster];
  console.log(
    `1. Cache-aside hits: ${HOT_KEYS} hot keys, near cache and coalescing off, closed loop of ${CONCURRENCY} ` +
      `(${HIT_WORKERS} worker processes x ${Math.round(CONCURRENCY / HIT_WORKERS)}), ${SECONDS} s after a ` +
      `${WARMUP_MS / 1000} s warm-up`,
  );
  table(
    ['', 'single', 'cluster 3m+3r', 'cluster/single'],
    [
      ['hits/s', fmt(s.perSecond), fmt(c.perSecond), `${(c.perSecond / s.perSecond).toFixed(2)}x`],
      ['latency p50', ms(s.p50), ms(c.p50), `${(c.p50 / s.p50).toFixed(2)}x`],
      ['latency p99', ms(s.p99), ms(c.p99), `${(c.p99 / s.p99).toFixed(2)}x`],
      ['misses / errors', `${s.misses} / ${s.errors}`, `${c.misses} / ${c.errors}`, ''],
    ],
  );

  const [ss, sc] = [stampedes.single, stampedes.cluster];
  const verdict = (r: StampedeResult) => (r.loaderCalls === STAMPEDE_KEYS ? 'ok' : 'MORE THAN ONE PER KEY');
  console.log(
    `\n2. Stampede: ${STAMPEDE_KEYS} cold keys x ${STAMPEDE_PER_KEY} concurrent requests over ` +
      `${STAMPEDE_INSTANCES} independent primitives, coalescing ${STAMPEDE_COALESCE ? 'on' : 'off'}, ` +
      `loader ${STAMPEDE_LOADER_MS} ms`,
  );
  table(
    ['', 'single', 'cluster 3m+3r'],
    [
      ['loader calls / keys', `${ss.loaderCalls} / ${STAMPEDE_KEYS}`, `${sc.loaderCalls} / ${STAMPEDE_KEYS}`],
      ['one call per key', verdict(ss), verdict(sc)],
      ['failed requests', String(ss.failures), String(sc.failures)],
      ['wall time', `${ss.seconds.toFixed(2)} s`, `${sc.seconds.toFixed(2)} s`],
    ],
  );

  const mean = (r: WriteBehindRun) => r.results.reduce((n, x) => n + x.perSecond, 0) / r.results.length;
  const oneShard = mean(flushes.find((f) => f.label.includes('SHARDS=1')) ?? flushes[0]);
  const each = (r: WriteBehindRun, f: (x: FlushResult) => string) => r.results.map(f).join(' / ');
  console.log(
    `\n3. Write-behind: ${WB} bookings accepted with no flusher (concurrency ${CONCURRENCY}), then one flusher ` +
      `(${flushes[0].config.writeBehind.lanes} lanes per stream, batch ${flushes[0].config.writeBehind.batchSize}) ` +
      `timed until the database has them all; ${WB_ROUNDS} interleaved runs each (run 1 / run 2), after a warm-up`,
  );
  table(
    [
      '',
      'accepted/s',
      'backlog per stream',
      'persisted',
      'flush s',
      'persisted/s',
      'mean',
      'vs 1 shard',
      'db / valkey / events ms',
      'left',
    ],
    flushes.map((r) => [
      r.label,
      each(r, (x) => fmt(x.acceptPerSecond)),
      r.results[r.results.length - 1].backlog.join('+'),
      r.results.every((x) => x.persisted === WB)
        ? `all ${WB}`
        : each(r, (x) => `${x.persisted} of ${x.accepted}${x.refused ? ` (${x.refused} refused)` : ''}`),
      each(r, (x) => x.seconds.toFixed(2)),
      each(r, (x) => fmt(x.perSecond)),
      fmt(mean(r)),
      `${(mean(r) / oneShard).toFixed(2)}x`,
      each(r, (x) => `${fmt(x.phases.databaseMs)}/${fmt(x.phases.valkeyMs)}/${fmt(x.phases.eventsMs)}`),
      each(r, (x) => x.left.join('+')),
    ]),
  );
  console.log(
    "   (db / valkey / events ms: time the flusher spent in each step, summed over its lanes; last run's " +
      'backlog shown)',
  );
}

function table(headers: string[], rows: string[][]) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

function redisVersion(): string {
  try {
    return execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).split(' sha=')[0].trim();
  } catch {
    return 'redis-server (version unknown)';
  }
}

function progress(what: string) {
  process.stdout.write(`${what}... `);
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

const ms = (v: number) => `${v.toFixed(2)} ms`;

const fmtLoad = (l: number[]) => l.map((x) => x.toFixed(2)).join(' / ');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

if (process.argv[2] === 'hit-worker') {
  process.once('message', (job) => {
    hitWorker(job as HitJob).then(
      (r) => process.send!(r, () => process.exit(0)),
      (e) => {
        console.error(`hit worker failed: ${(e as Error).stack}`);
        process.exit(1);
      },
    );
  });
} else {
  main().then(
    () => process.exit(0),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
