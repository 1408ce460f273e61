/**
 * `npm run bench:write`: the write path's throughput, measured in the writer-service (gateway excluded).
 *  1. write-through bookings accepted per second (database transaction + seat hold + invalidation + event);
 *  2. write-behind bookings accepted per second (one Valkey script each), with no flusher running;
 *  3. bookings persisted per second by one flusher draining that backlog (multi-row inserts);
 *  4. invalidation lag (commit -> tagged keys gone) p50/p99 as the cache-warmer consumed the events.
 * Uses its own database (BENCH_DB_NAME, default cmiyc_bench_write, seeded at `tiny` scale when empty; each run adds
 * its own 500-seat flights) and its own key prefix; engine and servers come from the usual environment.
 * BENCH_WT (default 3000), BENCH_WB (default 20000) and BENCH_CONCURRENCY (default 32) size the runs.
 */
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Queue } from 'bullmq';
import { ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import {
  AppConfig,
  CacheService,
  DurableWriteKeys,
  QUEUES,
  WriteKeys,
  bind,
  Dialect,
  loadConfig,
  queueOptions,
  seatName,
} from '@app/common';
import { isDatabaseEmpty, seedDatabase } from '@app/common/seed';
import { freePort, waitForPort } from '@app/common/testing';
import { configEnv } from './env';
import { WriterServiceModule } from '../apps/writer-service/src/app.module';
import { BookingsService } from '../apps/writer-service/src/bookings/bookings.service';
import { WriteBehindFlusher } from '../apps/writer-service/src/write-behind/flusher';

const WT = Number(process.env.BENCH_WT ?? 3000);
const WB = Number(process.env.BENCH_WB ?? 20000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const CAPACITY = 500;

async function main() {
  const base = loadConfig();
  const dbName = process.env.BENCH_DB_NAME ?? 'cmiyc_bench_write';
  if (dbName === 'flughafendb_large')
    throw new Error('The bench writes bookings into its own database; pick another BENCH_DB_NAME');
  const config: AppConfig = {
    ...base,
    db: { ...base.db, name: dbName, poolSize: Math.max(base.db.poolSize, 16) },
    cache: { ...base.cache, keyPrefix: 'cmiyc-bench-write:' },
    logLevel: 'error',
  };
  if (await isDatabaseEmpty(config.db)) {
    console.log(
      `Seeding ${config.db.engine} database ${dbName} at tiny scale (once; reused by later runs)...`,
    );
    await seedDatabase(config.db, { scale: 'tiny' });
  }

  const contexts: INestApplicationContext[] = [];
  let warmer: ChildProcess | undefined;
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
    const cache = writer.get(CacheService);
    await cache.guard((c) => c.del(cache.key(WriteKeys.invalidationLag())));
    const ds = writer.get(DataSource);
    const passengers = (
      await ds.query('SELECT passenger_id FROM passenger ORDER BY passenger_id LIMIT 5000')
    ).map((r: { passenger_id: number }) => Number(r.passenger_id));
    const flights = await createFlights(ds, Math.ceil(WT / CAPACITY) + Math.ceil(WB / CAPACITY));
    const bookings = writer.get(BookingsService);
    const attempts = (mode: 'write-through' | 'write-behind', n: number, firstFlight: number) =>
      Array.from({ length: n }, (_, i) => ({
        flightId: flights[firstFlight + Math.floor(i / CAPACITY)],
        passengerId: passengers[i % passengers.length],
        seat: seatName(i % CAPACITY, CAPACITY),
        price: 99.5,
        mode,
      }));

    console.log(
      `\nDatabase: ${config.db.flavor} ${dbName}; cache: ${config.cache.host}:${config.cache.port}; concurrency ${CONCURRENCY}\n`,
    );
    const wt = await timed(attempts('write-through', WT, 0), (a) => bookings.create(a));
    const wbFirst = Math.ceil(WT / CAPACITY);
    const wb = await timed(attempts('write-behind', WB, wbFirst), (a) => bookings.create(a));

    // One flusher drains the backlog.
    const stream = cache.key(DurableWriteKeys.writeBehindStream());
    const backlog = Number(await cache.client.xlen(stream));
    const flushStarted = performance.now();
    const flusherApp = await start(WriterServiceModule.forRoot(config, { flusher: true }));
    while (Number(await cache.client.xlen(stream)) > 0) await sleep(20);
    const phases = flusherApp.get(WriteBehindFlusher).totals;
    const flushSeconds = (performance.now() - flushStarted) / 1000;
    const d = Dialect.of(ds);
    const [persisted] = await ds.query(
      ...bind(d, `SELECT COUNT(*) AS n FROM booking WHERE flight_id >= :first`, { first: flights[wbFirst] }),
    );

    // Let the warmer finish the events, then read the lag it recorded.
    const events = new Queue(QUEUES.events, queueOptions(config));
    for (;;) {
      const c = await events.getJobCounts('waiting', 'active', 'delayed');
      if (c.waiting + c.active + c.delayed === 0) break;
      await sleep(50);
    }
    await events.close();
    const lags = ((await cache.client.lrange(cache.key(WriteKeys.invalidationLag()), 0, -1)) ?? [])
      .map(Number)
      .sort((a, b) => a - b);
    const pct = (p: number) => lags[Math.min(lags.length - 1, Math.ceil(p * lags.length) - 1)];

    const row = (label: string, value: string) => console.log(`${label.padEnd(46)}${value}`);
    row(
      'write-through accepted',
      `${fmt(wt.perSecond)} bookings/s  (${wt.ok} of ${WT}, p50 ${wt.p50.toFixed(2)} ms)`,
    );
    row(
      'write-behind accepted',
      `${fmt(wb.perSecond)} bookings/s  (${wb.ok} of ${WB}, p50 ${wb.p50.toFixed(2)} ms)`,
    );
    row('write-behind / write-through', `${(wb.perSecond / wt.perSecond).toFixed(1)}x`);
    row(
      'flusher persisted (one flusher, batch ' + config.writeBehind.batchSize + ')',
      `${fmt(backlog / flushSeconds)} bookings/s  (${persisted.n} rows in ${flushSeconds.toFixed(2)} s)`,
    );
    row(
      '  of which database / Valkey / events',
      `${fmt(phases.databaseMs)} / ${fmt(phases.valkeyMs)} / ${fmt(phases.eventsMs)} ms over ${phases.batches} batches`,
    );
    row(
      'invalidation lag (commit -> keys gone)',
      lags.length ? `p50 ${pct(0.5)} ms, p99 ${pct(0.99)} ms (${lags.length} events)` : 'no samples',
    );
  } finally {
    if (warmer && warmer.exitCode === null) warmer.kill('SIGTERM');
    for (const app of contexts.reverse()) await app.close();
  }
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

/** Fresh 500-seat flights (one aircraft), so every run books free seats. */
async function createFlights(ds: DataSource, n: number): Promise<number[]> {
  const d = Dialect.of(ds);
  const q = (sql: string, named: Record<string, unknown> = {}) => ds.query(...bind(d, sql, named));
  const [t] = await q(
    `SELECT ${d.id('from')} AS f, ${d.id('to')} AS t, airline_id FROM flight ORDER BY flight_id LIMIT 1`,
  );
  const [type] = await q('SELECT type_id FROM airplane_type ORDER BY type_id LIMIT 1');
  const ret = (col: string) => (d.isPostgres ? ` RETURNING ${col}` : '');
  const idOf = (r: unknown, col: string) =>
    Number(d.isPostgres ? (r as Record<string, unknown>[])[0][col] : (r as { insertId: number }).insertId);
  const plane = idOf(
    await q(
      `INSERT INTO airplane (capacity, type_id, airline_id) VALUES (:c, :type, :airline)${ret('airplane_id')}`,
      {
        c: CAPACITY,
        type: type.type_id,
        airline: t.airline_id,
      },
    ),
    'airplane_id',
  );
  const ids: number[] = [];
  const dep = new Date(Date.now() + 7 * 86_400_000);
  const ts = (x: Date) => x.toISOString().replace('T', ' ').replace('Z', '');
  for (let i = 0; i < n; i++) {
    const r = await q(
      `INSERT INTO flight (flightno, ${d.id('from')}, ${d.id('to')}, departure, arrival, airline_id, airplane_id)
       VALUES ('BENCH', :f, :t, :dep, :arr, :airline, :plane)${ret('flight_id')}`,
      {
        f: t.f,
        t: t.t,
        dep: ts(dep),
        arr: ts(new Date(dep.getTime() + 3600_000)),
        airline: t.airline_id,
        plane,
      },
    );
    ids.push(idOf(r, 'flight_id'));
  }
  return ids;
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
