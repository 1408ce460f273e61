/**
 * `npm run bench:write`: the write path's throughput and invalidation lag, measured in the writer-service (gateway
 * excluded), with the cache-warmer in a process of its own. Two regimes, because they answer different questions:
 *  Burst (capacity):
 *   1. write-through bookings accepted per second (database transaction + seat hold + invalidation + event);
 *   2. write-behind bookings accepted per second (one Valkey script each), with no flusher running;
 *   3. bookings persisted per second by one flusher draining that backlog (multi-row inserts);
 *   4. how fast the cache-warmer drains the burst of booking.created events the flusher publishes (events/s), and
 *      the invalidation lag (commit -> tagged keys gone) over EVERY event of the burst: mostly queueing time.
 *  Steady state (what a user feels): bookings at a fixed rate (BENCH_RATE/s for BENCH_STEADY_SECONDS, open loop),
 *   write-through and then write-behind with a flusher running; acceptance latency and invalidation lag p50/p99.
 * The warmer pushes each lag onto a capped list (WriteKeys.invalidationLag, newest 1,000); the bench takes the list
 * atomically every few ms (LRANGE + DEL in one MULTI), so it sees every sample, not only the newest 1,000.
 * Uses its own database (BENCH_DB_NAME, default cmiyc_bench_write, seeded at `tiny` scale when empty; each run adds
 * its own 500-seat flights) and its own key prefix; engine and servers come from the usual environment.
 * BENCH_WT (default 3000), BENCH_WB (default 20000), BENCH_CONCURRENCY (default 32), BENCH_RATE (default 300) and
 * BENCH_STEADY_SECONDS (default 10) size the runs.
 */
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { AppConfig, bind, Dialect, loadConfig, queueOptions } from '@app/platform';
import { DurableWriteKeys, ValkeyClient, WriteKeys, createValkeyClient } from '@app/cache';
import { QUEUES, seatName } from '@app/contracts';
import { deleteKeysWithPrefix, freePort, waitForPort } from '../test/support/redis-server';
import { configEnv } from './env';
import { benchDatabaseName, createBenchFlights, pct, prepareBenchDatabase } from './support';
import { WriterServiceModule } from '../apps/writer-service/src/app.module';
import { BookingsService } from '../apps/writer-service/src/bookings/bookings.service';
import { WriteBehindFlusher } from '../apps/writer-service/src/write-behind/flusher';

const WT = Number(process.env.BENCH_WT ?? 3000);
const WB = Number(process.env.BENCH_WB ?? 20000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const RATE = Number(process.env.BENCH_RATE ?? 300);
const STEADY_SECONDS = Number(process.env.BENCH_STEADY_SECONDS ?? 10);
const CAPACITY = 500;
/** How often the lag list is taken: well before the warmer's 1,000-sample cap could drop one. */
const LAG_POLL_MS = 10;
/** After the last event: longer than the warmer's lag batching (LagRecorder) plus a few polls. */
const LAG_SETTLE_MS = 200;

type Mode = 'write-through' | 'write-behind';

async function main() {
  const base = loadConfig();
  const dbName = benchDatabaseName('cmiyc_bench_write', 'writes bookings into its own database');
  const config: AppConfig = {
    ...base,
    db: { ...base.db, name: dbName, poolSize: Math.max(base.db.poolSize, 16) },
    cache: { ...base.cache, keyPrefix: 'cmiyc-bench-write:' },
    logLevel: 'error',
  };
  await prepareBenchDatabase(config.db, 'tiny');

  const contexts: INestApplicationContext[] = [];
  let warmer: ChildProcess | undefined;
  // The bench's own connection, without the cache's short command timeout: the flusher shares this process's
  // thread, and a poll answered while it parses a batch must not fail the run.
  const valkey = createValkeyClient(config.cache, { name: 'bench-write' });
  const events = new Queue(QUEUES.events, queueOptions(config));
  const lag = new LagCollector(valkey, config.cache.keyPrefix + WriteKeys.invalidationLag());
  const stream = config.cache.keyPrefix + DurableWriteKeys.writeBehindStream();
  const start = async (module: unknown) => {
    const app = await NestFactory.createApplicationContext(module as never, { logger: ['error'] });
    await app.init();
    contexts.push(app);
    return app;
  };
  try {
    // Accepting process without a flusher, so write-behind acceptance and flushing are measured apart.
    const writer = await start(WriterServiceModule.forRoot(config, { flusher: false }));
    // The cache-warmer in a process of its own, as deployed (it must not share this process's one thread).
    const warmerPort = await freePort();
    warmer = spawn(process.execPath, [resolve(__dirname, '../apps/cache-warmer/src/main.js')], {
      env: {
        ...process.env,
        ...configEnv(config),
        CACHE_WARMER_PORT: String(warmerPort),
        LOG_LEVEL: 'error',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForPort(warmerPort, 30000);
    const leftover = Number(await valkey.xlen(stream));
    if (leftover > 0) {
      // An interrupted earlier run left accepted bookings: flush them now so they do not count in this run.
      console.log(`Flushing ${leftover} bookings an interrupted earlier run left in the stream...`);
      const cleanup = await NestFactory.createApplicationContext(
        WriterServiceModule.forRoot(config, { flusher: true }) as never,
        { logger: ['error'] },
      );
      await cleanup.init();
      await untilEventsSettled(events, valkey, stream);
      await cleanup.close();
    }
    await lag.start();
    const ds = writer.get(DataSource);
    const passengers = (
      await ds.query('SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT 5000')
    ).map((r: { passenger_id: number }) => Number(r.passenger_id));
    const steadyCount = Math.ceil(RATE * STEADY_SECONDS);
    const flightsFor = (n: number) => Math.ceil(n / CAPACITY);
    const flights = await createBenchFlights(
      ds,
      flightsFor(WT) + flightsFor(WB) + 2 * flightsFor(steadyCount),
      CAPACITY,
    );
    const bookings = writer.get(BookingsService);
    let nextFlight = 0;
    const attempts = (mode: Mode, n: number) => {
      const first = nextFlight;
      nextFlight += flightsFor(n);
      return Array.from({ length: n }, (_, i) => ({
        flightId: flights[first + Math.floor(i / CAPACITY)],
        passengerId: passengers[i % passengers.length],
        seat: seatName(i % CAPACITY, CAPACITY),
        price: 99.5,
        mode,
      }));
    };
    const book = (a: ReturnType<typeof attempts>[number]) => bookings.create(a);
    const eventsSettled = (withStream = false) =>
      untilEventsSettled(events, valkey, withStream ? stream : undefined);

    console.log(
      `\nDatabase: ${config.db.flavor} ${dbName}; cache: ${config.cache.host}:${config.cache.port}\n`,
    );
    const row = (label: string, value: string) => console.log(`${label.padEnd(48)}${value}`);
    const lagRow = (label: string, s: number[]) =>
      row(
        label,
        s.length
          ? `p50 ${fmt(pct(s, 0.5))} ms, p99 ${fmt(pct(s, 0.99))} ms, max ${fmt(pct(s, 1))} ms (${s.length} events)`
          : 'no samples',
      );

    // ---- Burst: capacity of each stage. ----
    console.log(`Burst (concurrency ${CONCURRENCY}):`);
    const wt = await timed(attempts('write-through', WT), book);
    const wb = await timed(attempts('write-behind', WB), book);
    await eventsSettled();
    const wtBurstLag = lag.take();

    // One flusher drains the backlog; the warmer drains the events it publishes.
    const backlog = Number(await valkey.xlen(stream));
    const flushStarted = performance.now();
    const flusherApp = await start(WriterServiceModule.forRoot(config, { flusher: true }));
    let peakQueued = 0;
    const watchQueue = setInterval(() => {
      void events
        .getJobCounts('waiting', 'prioritized')
        .then((c) => (peakQueued = Math.max(peakQueued, c.waiting + c.prioritized)))
        .catch(() => undefined);
    }, 100);
    while (Number(await valkey.xlen(stream)) > 0) await sleep(20);
    const flushSeconds = (performance.now() - flushStarted) / 1000;
    const phases = flusherApp.get(WriteBehindFlusher).totals;
    await eventsSettled();
    clearInterval(watchQueue);
    const drained = lag.take();
    const drainSeconds = (drained.lastAt - flushStarted) / 1000;
    const d = Dialect.of(ds);
    const [persisted] = await ds.query(
      ...bind(d, `SELECT COUNT(*) AS n FROM booking WHERE flight_id >= :first`, {
        first: flights[flightsFor(WT)],
      }),
    );

    row(
      '  write-through accepted',
      `${fmt(wt.perSecond)} bookings/s  (${wt.ok} of ${WT}, p50 ${wt.p50.toFixed(2)} ms)`,
    );
    row(
      '  write-behind accepted',
      `${fmt(wb.perSecond)} bookings/s  (${wb.ok} of ${WB}, p50 ${wb.p50.toFixed(2)} ms)`,
    );
    row('  write-behind / write-through', `${(wb.perSecond / wt.perSecond).toFixed(1)}x`);
    row(
      `  flusher persisted (one flusher, batch ${config.writeBehind.batchSize})`,
      `${fmt(backlog / flushSeconds)} bookings/s  (${persisted.n} rows in ${flushSeconds.toFixed(2)} s)`,
    );
    row(
      '    of which database / Valkey / events',
      `${fmt(phases.databaseMs)} / ${fmt(phases.valkeyMs)} / ${fmt(phases.eventsMs)} ms over ${phases.batches} batches`,
    );
    lagRow('  lag during the write-through burst', wtBurstLag.samples);
    row(
      "  warmer drained the flusher's events",
      `${fmt(drained.samples.length / drainSeconds)} events/s  (${drained.samples.length} events in ${drainSeconds.toFixed(2)} s, peak queue ${fmt(peakQueued)})`,
    );
    lagRow('  lag over the whole burst (mostly queueing)', drained.samples);

    // ---- Steady state: a fixed, moderate rate, as users feel it. ----
    console.log(`\nSteady state (${RATE} bookings/s for ${STEADY_SECONDS} s, flusher running):`);
    for (const mode of ['write-through', 'write-behind'] as const) {
      const run = await paced(attempts(mode, steadyCount), RATE, book);
      await eventsSettled(true);
      const steady = lag.take();
      row(
        `  ${mode} accepted`,
        `${fmt(run.perSecond)} bookings/s  (${run.ok} of ${steadyCount}, p50 ${run.p50.toFixed(2)} ms, p99 ${run.p99.toFixed(2)} ms)`,
      );
      lagRow(`  ${mode} lag (commit -> keys gone)`, steady.samples);
    }
  } finally {
    lag.stop();
    if (warmer && warmer.exitCode === null) warmer.kill('SIGTERM');
    for (const app of contexts.reverse()) await app.close();
    await events.close();
    // Statuses, markers and queues of 20,000+ bookings would otherwise stay in Valkey for days.
    await deleteKeysWithPrefix(valkey, config.cache.keyPrefix);
    valkey.disconnect();
  }
}

/**
 * Takes the warmer's lag samples as they come: LRANGE + DEL in one MULTI, so no sample is read twice or lost
 * to the list's cap (the warmer keeps the newest 1,000; this empties it every LAG_POLL_MS).
 */
class LagCollector {
  private samples: number[] = [];
  private lastAt = 0;
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly valkey: ValkeyClient,
    private readonly key: string,
  ) {}

  async start(): Promise<void> {
    await this.valkey.del(this.key);
    this.timer = setInterval(() => void this.poll(), LAG_POLL_MS);
  }

  /** The samples collected since the last take, and when the last of them was seen. */
  take(): { samples: number[]; lastAt: number } {
    const taken = { samples: this.samples.sort((a, b) => a - b), lastAt: this.lastAt };
    this.samples = [];
    return taken;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const [[, values]] = (await this.valkey.multi().lrange(this.key, 0, -1).del(this.key).exec()) as [
        [Error | null, string[]],
      ];
      if (values.length > 0) {
        this.samples.push(...values.map(Number));
        this.lastAt = performance.now();
      }
    } finally {
      this.polling = false;
    }
  }
}

/**
 * Waits until the warmer has handled every queued event (and, with `stream`, the flusher has drained it first),
 * then lets the collector take the last lag samples.
 */
async function untilEventsSettled(events: Queue, valkey: ValkeyClient, stream?: string): Promise<void> {
  for (;;) {
    const c = await events.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
    const unflushed = stream ? Number(await valkey.xlen(stream)) : 0;
    if (c.waiting + c.prioritized + c.active + c.delayed + unflushed === 0) break;
    await sleep(20);
  }
  // The warmer publishes its lag samples in batches (at most ~50 ms late); then the collector's last poll.
  await sleep(LAG_SETTLE_MS);
}

/**
 * Open loop: starts the calls at `rate` per second whatever their latency (a closed loop would slow down with the
 * system and hide queueing); bookings/s over the wall time, and latency percentiles.
 */
async function paced<A>(items: A[], rate: number, call: (a: A) => Promise<unknown>) {
  const latencies: number[] = [];
  const inFlight: Array<Promise<void>> = [];
  let ok = 0;
  const started = performance.now();
  for (let i = 0; i < items.length;) {
    const due = Math.min(items.length, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; i < due; i++) {
      const item = items[i];
      const t = performance.now();
      inFlight.push(
        call(item).then(
          () => {
            ok++;
            latencies.push(performance.now() - t);
          },
          (e) => console.error(`failed: ${(e as Error).message}`),
        ),
      );
    }
    await sleep(2);
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { ok, perSecond: ok / seconds, p50: pct(latencies, 0.5) ?? 0, p99: pct(latencies, 0.99) ?? 0 };
}

/** Runs the calls CONCURRENCY at a time; bookings/s over the wall time, and the median latency. */
async function timed<A>(items: A[], call: (a: A) => Promise<unknown>) {
  const latencies: number[] = [];
  let next = 0;
  let ok = 0;
  const started = performance.now();
  const lane = async () => {
    while (next < items.length) {
      const item = items[next++];
      const t = performance.now();
      try {
        await call(item);
        ok++;
      } catch (e) {
        console.error(`failed: ${(e as Error).message}`);
      }
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { ok, perSecond: ok / seconds, p50: latencies[Math.floor(latencies.length / 2)] ?? 0 };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
