import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BOOKING_MODES, BookingMode, BookingView, seatName } from '@app/contracts';
import type { PassengerProfile, PassengerSampleEntry, SeatAvailability } from '@app/contracts';
import { chartJsPath } from '../apps/gateway/src/dashboard/dashboard.paths';
import { intFlag, parseDemoArgs, runMain } from './demo/args';
import { cancelBooking, upcomingFlights } from './demo/fixtures';
import { GatewayClient, GatewayError, payload } from './demo/http';
import { banner, c, info, ms, ok, printTable, step, summarize, warn } from './demo/output';
import { progressBar } from './demo/progress';

const USAGE = `
npm run demo:perf -- [--threads 4] [--queries 10000] [--read-ratio 80] [--ttl 300000] [--random]

Concurrent workers against the gateway: reads fetch a passenger's booking totals through the cache
(GET /api/passengers/:id/profile), writes book a random seat on a random flight (POST /api/bookings, retrying
another seat on 409). A write-through booking adds itself to the passenger's cached profile in place, so writes keep
the cache warm (a write-behind booking drops the profile until it is persisted).
Prints duration, queries/s, latency, read/write and hit/miss splits; writes a JSON log (config, summary, per-second
series) and an HTML chart of the series into demo-results/.

  --threads N        concurrent workers (default 4)
  --queries N        operations per worker (default 10000)
  --read-ratio P     percentage of reads, 0-100 (default 80)
  --ttl MS           an entry older than this (as seen by this run) is reloaded with ?refresh=true; the server's
                     own TTL is TTL_PASSENGER (default 300000)
  --random           read random passengers from the pool (default: every worker walks the pool in order)
  --pool N           passengers to sample for the pool (default 500)
  --write-mode M     write-through or write-behind (default write-through)
  --flight-id N      first flight to take seats from (default 115)
  --keep             keep the bookings made (default: cancel them at the end)
  --out DIR          where the JSON log and the chart go (default demo-results)
`;

interface Second {
  second: number;
  count: number;
  sumUs: number;
  minUs: number;
  maxUs: number;
  reads: number;
  writes: number;
  hits: number;
  misses: number;
  errors: number;
}

interface FlightPool {
  flightId: number;
  capacity: number;
  booked: number;
}

interface Config {
  url: string;
  threads: number;
  queriesPerThread: number;
  readRatio: number;
  ttlMs: number;
  random: boolean;
  pool: number;
  writeMode: BookingMode;
  firstFlight: number;
}

export async function perfDemo(argv: string[]): Promise<void> {
  const cli = parseDemoArgs(
    argv,
    {
      threads: { type: 'string', default: '4' },
      queries: { type: 'string', default: '10000' },
      'read-ratio': { type: 'string', default: '80' },
      ttl: { type: 'string', default: '300000' },
      random: { type: 'boolean', default: false },
      pool: { type: 'string', default: '500' },
      'write-mode': { type: 'string', default: 'write-through' },
      'flight-id': { type: 'string', default: '115' },
      keep: { type: 'boolean', default: false },
      out: { type: 'string', default: 'demo-results' },
    },
    USAGE,
  );
  if (!cli) return;
  const { client, values } = cli;
  const writeMode = String(values['write-mode']) as BookingMode;
  if (!BOOKING_MODES.includes(writeMode))
    throw new Error(`--write-mode must be one of ${BOOKING_MODES.join(', ')}`);
  const config: Config = {
    url: client.baseUrl,
    threads: intFlag('threads', values.threads, 1, 512),
    queriesPerThread: intFlag('queries', values.queries, 1, 10_000_000),
    readRatio: intFlag('read-ratio', values['read-ratio'], 0, 100),
    ttlMs: intFlag('ttl', values.ttl, 1),
    random: values.random === true,
    pool: intFlag('pool', values.pool, 1, 100_000),
    writeMode,
    firstFlight: intFlag('flight-id', values['flight-id'], 1),
  };
  const total = config.threads * config.queriesPerThread;
  const expectedWrites = Math.round((total * (100 - config.readRatio)) / 100);

  banner(
    'Multi-worker performance test',
    `${config.threads} workers × ${config.queriesPerThread} operations, ${config.readRatio}% reads, writes ${writeMode}`,
  );
  step(1, 'Preparing passengers and flights');
  const passengers = await passengerPool(client, config.pool);
  info(`${passengers.length} passengers sampled (GET /api/passengers/sample?refresh=true)`);
  const flights = expectedWrites > 0 ? await flightPool(client, config.firstFlight, expectedWrites * 2) : [];
  if (expectedWrites > 0) {
    const free = flights.reduce((a, f) => a + f.capacity - f.booked, 0);
    info(`${flights.length} flights with ${free} free seats for about ${expectedWrites} writes`);
  }

  step(2, `Running ${total.toLocaleString('en-US')} operations`);
  const run = await runWorkers(client, config, passengers, flights);

  step(3, 'Results');
  const summary = printSummary(run, total);
  const written = writeResults(String(values.out), config, summary, run.series);
  ok(`JSON log: ${written.json}`);
  ok(`chart:    ${written.html}`);

  if (run.bookingIds.length && !values.keep) await cleanUp(client, run.bookingIds);
  if (writeMode === 'write-behind' && run.writes > 0) {
    info(c.dim('write-behind bookings are persisted by the flusher and stay in the database'));
  }
}

async function passengerPool(client: GatewayClient, size: number): Promise<PassengerSampleEntry[]> {
  const byId = new Map<number, PassengerSampleEntry>();
  // Each sample is random; ?refresh=true so a cached sample is not answered again.
  for (let attempt = 0; byId.size < size && attempt < Math.ceil(size / 50) + 10; attempt++) {
    const env = await client.read<PassengerSampleEntry[]>(
      `/api/passengers/sample?count=${Math.min(100, size)}`,
      {
        refresh: true,
      },
    );
    for (const p of env.data) byId.set(p.passengerId, p);
  }
  if (byId.size === 0) throw new Error('no passengers with bookings: seed the database first');
  return [...byId.values()].slice(0, size);
}

async function flightPool(
  client: GatewayClient,
  firstFlight: number,
  seatsWanted: number,
): Promise<FlightPool[]> {
  const pool: FlightPool[] = [];
  let free = 0;
  for await (const id of upcomingFlights(client, firstFlight)) {
    if (free >= seatsWanted) break;
    const s = (await client.read<SeatAvailability>(`/api/flights/${id}/seats`, { refresh: true })).data;
    if (s.available > 0) {
      pool.push({ flightId: id, capacity: s.capacity, booked: s.booked });
      free += s.available;
    }
  }
  if (pool.length === 0) throw new Error(`no flight with free seats from ${firstFlight} on`);
  if (free < seatsWanted / 2)
    warn(`only ${free} free seats: flights will fill up and writes will retry more often`);
  return pool;
}

interface RunResult {
  series: Second[];
  latenciesUs: number[];
  readLatenciesUs: number[];
  writeLatenciesUs: number[];
  reads: number;
  writes: number;
  hits: number;
  misses: number;
  conflicts: number;
  errors: number;
  notFound: number;
  durationMs: number;
  bookingIds: number[];
  firstErrors: string[];
}

async function runWorkers(
  client: GatewayClient,
  config: Config,
  passengers: PassengerSampleEntry[],
  flights: FlightPool[],
): Promise<RunResult> {
  const r: RunResult = {
    series: [],
    latenciesUs: [],
    readLatenciesUs: [],
    writeLatenciesUs: [],
    reads: 0,
    writes: 0,
    hits: 0,
    misses: 0,
    conflicts: 0,
    errors: 0,
    notFound: 0,
    durationMs: 0,
    bookingIds: [],
    firstErrors: [],
  };
  const loadedAt = new Map<number, number>();
  const bar = progressBar('operations', config.threads * config.queriesPerThread, ' | {rate} ops/s');
  const started = performance.now();
  const bucket = (now: number): Second => {
    const second = Math.floor((now - started) / 1000);
    while (r.series.length <= second) {
      r.series.push({
        second: r.series.length,
        count: 0,
        sumUs: 0,
        minUs: Infinity,
        maxUs: 0,
        reads: 0,
        writes: 0,
        hits: 0,
        misses: 0,
        errors: 0,
      });
    }
    return r.series[second];
  };
  const record = (t0: number, kind: 'read' | 'write', outcome?: 'hit' | 'miss') => {
    const now = performance.now();
    const us = Math.round((now - t0) * 1000);
    const b = bucket(now);
    b.count++;
    b.sumUs += us;
    b.minUs = Math.min(b.minUs, us);
    b.maxUs = Math.max(b.maxUs, us);
    r.latenciesUs.push(us);
    (kind === 'read' ? r.readLatenciesUs : r.writeLatenciesUs).push(us);
    if (kind === 'read') {
      b.reads++;
      r.reads++;
      if (outcome === 'hit') {
        b.hits++;
        r.hits++;
      } else {
        b.misses++;
        r.misses++;
      }
    } else {
      b.writes++;
      r.writes++;
    }
  };
  const failed = (e: unknown) => {
    r.errors++;
    bucket(performance.now()).errors++;
    if (r.firstErrors.length < 5) r.firstErrors.push((e as Error).message);
    if (r.errors > 50 && r.errors > (r.reads + r.writes) / 2)
      throw new Error(`too many errors, stopping: ${r.firstErrors.join(' | ')}`);
  };

  const read = async (worker: number, i: number) => {
    const p = config.random
      ? passengers[Math.floor(Math.random() * passengers.length)]
      : passengers[(i + worker) % passengers.length];
    const last = loadedAt.get(p.passengerId);
    const refresh = last !== undefined && performance.now() - last > config.ttlMs;
    const t0 = performance.now();
    try {
      const env = await client.read<PassengerProfile>(`/api/passengers/${p.passengerId}/profile`, {
        refresh,
      });
      if (env.meta.source !== 'cache') loadedAt.set(p.passengerId, performance.now());
      record(t0, 'read', env.meta.source === 'cache' ? 'hit' : 'miss');
    } catch (e) {
      if (e instanceof GatewayError && e.status === 404) r.notFound++;
      failed(e);
    }
  };

  const write = async () => {
    const t0 = performance.now();
    const passenger = passengers[Math.floor(Math.random() * passengers.length)];
    for (let attempt = 0; attempt < 30 && flights.length > 0; attempt++) {
      const f = flights[Math.floor(Math.random() * flights.length)];
      const seat = seatName(Math.floor(Math.random() * f.capacity), f.capacity);
      try {
        const reply = await client.post<unknown>('/api/bookings', {
          flightId: f.flightId,
          passengerId: passenger.passengerId,
          seat,
          price: Math.round((100 + Math.random() * 400) * 100) / 100,
          mode: config.writeMode,
        });
        f.booked++;
        if (reply.status === 201) r.bookingIds.push(payload<BookingView>(reply.body).bookingId);
        loadedAt.delete(passenger.passengerId);
        record(t0, 'write');
        return;
      } catch (e) {
        if (!(e instanceof GatewayError) || e.status !== 409) return failed(e);
        r.conflicts++;
        // The flight looks full: stop choosing it.
        if (++f.booked >= f.capacity && flights.includes(f)) flights.splice(flights.indexOf(f), 1);
      }
    }
    failed(new Error('no free seat found after 30 attempts'));
  };

  const worker = async (w: number) => {
    for (let i = 0; i < config.queriesPerThread; i++) {
      if (Math.random() * 100 < config.readRatio) await read(w, i);
      else await write();
      bar.increment(1, { rate: Math.round((r.reads + r.writes) / ((performance.now() - started) / 1000)) });
    }
  };
  try {
    await Promise.all(Array.from({ length: config.threads }, (_, w) => worker(w)));
  } finally {
    bar.stop();
  }
  r.durationMs = performance.now() - started;
  return r;
}

interface Summary {
  durationSeconds: number;
  operations: number;
  queriesPerSecond: number;
  avgLatencyUs: number;
  p50LatencyUs: number;
  p99LatencyUs: number;
  maxLatencyUs: number;
  /** Reads and writes apart: a write costs a database transaction, a read hit a cache lookup. */
  readP50LatencyUs: number;
  readP99LatencyUs: number;
  writeP50LatencyUs: number;
  writeP99LatencyUs: number;
  reads: number;
  writes: number;
  readPercent: number;
  hits: number;
  misses: number;
  hitRatePercent: number;
  seatConflictRetries: number;
  errors: number;
}

function printSummary(run: RunResult, planned: number): Summary {
  const done = run.reads + run.writes;
  const lat = summarize(run.latenciesUs);
  const readLat = summarize(run.readLatenciesUs);
  const writeLat = summarize(run.writeLatenciesUs);
  const summary: Summary = {
    durationSeconds: +(run.durationMs / 1000).toFixed(3),
    operations: done,
    queriesPerSecond: +(done / (run.durationMs / 1000)).toFixed(1),
    avgLatencyUs: Math.round(lat?.avg ?? 0),
    p50LatencyUs: lat?.p50 ?? 0,
    p99LatencyUs: lat?.p99 ?? 0,
    maxLatencyUs: lat?.max ?? 0,
    readP50LatencyUs: readLat?.p50 ?? 0,
    readP99LatencyUs: readLat?.p99 ?? 0,
    writeP50LatencyUs: writeLat?.p50 ?? 0,
    writeP99LatencyUs: writeLat?.p99 ?? 0,
    reads: run.reads,
    writes: run.writes,
    readPercent: done ? +((100 * run.reads) / done).toFixed(1) : 0,
    hits: run.hits,
    misses: run.misses,
    hitRatePercent: run.reads ? +((100 * run.hits) / run.reads).toFixed(1) : 0,
    seatConflictRetries: run.conflicts,
    errors: run.errors,
  };
  const pctOf = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '0.0%');
  printTable(
    ['measure', 'value'],
    [
      ['duration', `${summary.durationSeconds.toFixed(2)} s`],
      ['operations', `${done.toLocaleString('en-US')} of ${planned.toLocaleString('en-US')}`],
      ['queries/s', c.bold(summary.queriesPerSecond.toLocaleString('en-US'))],
      [
        'avg latency',
        `${ms(summary.avgLatencyUs / 1000)} (p50 ${ms(summary.p50LatencyUs / 1000)}, p99 ${ms(summary.p99LatencyUs / 1000)})`,
      ],
      [
        'read latency',
        `p50 ${ms(summary.readP50LatencyUs / 1000)}, p99 ${ms(summary.readP99LatencyUs / 1000)}`,
      ],
      [
        'write latency',
        `p50 ${ms(summary.writeP50LatencyUs / 1000)}, p99 ${ms(summary.writeP99LatencyUs / 1000)}`,
      ],
      [
        'reads / writes',
        `${run.reads.toLocaleString('en-US')} (${pctOf(run.reads, done)}) / ${run.writes.toLocaleString('en-US')} (${pctOf(run.writes, done)})`,
      ],
      [
        'hits / misses',
        `${run.hits.toLocaleString('en-US')} (${c.green(pctOf(run.hits, run.reads))}) / ${run.misses.toLocaleString('en-US')} (${pctOf(run.misses, run.reads)})`,
      ],
      ['seat conflicts (409, retried)', run.conflicts.toLocaleString('en-US')],
      ['errors', run.errors ? c.red(run.errors) : '0'],
    ],
  );
  for (const e of run.firstErrors) warn(e);
  return summary;
}

function writeResults(outDir: string, config: Config, summary: Summary, series: Second[]) {
  const dir = resolve(outDir);
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const timeseries = series.map((s) => ({
    second: s.second,
    count: s.count,
    avg_us: s.count ? Math.round(s.sumUs / s.count) : 0,
    min_us: s.count ? s.minUs : 0,
    max_us: s.maxUs,
    reads: s.reads,
    writes: s.writes,
    hits: s.hits,
    misses: s.misses,
    errors: s.errors,
  }));
  const log = { generatedAt: new Date().toISOString(), config, summary, timeseries };
  const json = join(dir, `perf-${stamp}.json`);
  const html = join(dir, `perf-${stamp}.html`);
  writeFileSync(json, JSON.stringify(log, null, 2));
  writeFileSync(html, chartHtml(log));
  return { json, html };
}

/** A self-contained page: chart.js inlined from node_modules, so it opens offline from disk. */
function chartHtml(log: {
  config: Config;
  summary: Summary;
  timeseries: Array<Record<string, number>>;
}): string {
  const chartJs = readFileSync(chartJsPath(), 'utf8').replace(/<\/script/gi, '<\\/script');
  const data = JSON.stringify(log).replace(/</g, '\\u003c');
  const s = log.summary;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>demo:perf ${s.queriesPerSecond} queries/s</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d2433}h1{font-size:1.3rem}.grid{display:grid;grid-template-columns:1fr 1fr;gap:1.5rem}
.box{height:300px;position:relative}dl{display:grid;grid-template-columns:repeat(4,auto);gap:.3rem 1rem;font-size:.9rem}dt{color:#6b7385}dd{margin:0;font-weight:600}</style>
<script>${chartJs}</script></head><body>
<h1>Performance test: ${s.queriesPerSecond} queries/s, ${s.hitRatePercent}% cache hits</h1>
<dl><dt>workers</dt><dd>${log.config.threads}</dd><dt>operations</dt><dd>${s.operations}</dd><dt>duration</dt><dd>${s.durationSeconds} s</dd>
<dt>read ratio</dt><dd>${log.config.readRatio}%</dd><dt>avg latency</dt><dd>${(s.avgLatencyUs / 1000).toFixed(3)} ms</dd>
<dt>p99 latency</dt><dd>${(s.p99LatencyUs / 1000).toFixed(3)} ms</dd><dt>reads / writes</dt><dd>${s.reads} / ${s.writes}</dd><dt>hits / misses</dt><dd>${s.hits} / ${s.misses}</dd></dl>
<div class="grid"><div class="box"><canvas id="ops"></canvas></div><div class="box"><canvas id="lat"></canvas></div></div>
<script>
const log = ${data};
const t = log.timeseries, labels = t.map((x) => x.second + 's');
new Chart(document.getElementById('ops'), { type: 'bar', data: { labels, datasets: [
  { label: 'cache hits', data: t.map((x) => x.hits), backgroundColor: '#1f9d55', stack: 'a' },
  { label: 'misses (database)', data: t.map((x) => x.misses), backgroundColor: '#e0663a', stack: 'a' },
  { label: 'writes', data: t.map((x) => x.writes), backgroundColor: '#2f6fed', stack: 'a' } ] },
  options: { maintainAspectRatio: false, animation: false, plugins: { title: { display: true, text: 'Operations per second' } }, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } });
new Chart(document.getElementById('lat'), { type: 'line', data: { labels, datasets: [
  { label: 'avg µs', data: t.map((x) => x.avg_us), borderColor: '#2f6fed' },
  { label: 'min µs', data: t.map((x) => x.min_us), borderColor: '#1f9d55' },
  { label: 'max µs', data: t.map((x) => x.max_us), borderColor: '#c43d3d' } ] },
  options: { maintainAspectRatio: false, animation: false, plugins: { title: { display: true, text: 'Latency per second (µs, round trip)' } }, scales: { y: { type: 'logarithmic' } } } });
</script></body></html>
`;
}

async function cleanUp(client: GatewayClient, bookingIds: number[]): Promise<void> {
  const bar = progressBar('cancelling test bookings', bookingIds.length);
  let next = 0;
  const failures: string[] = [];
  const worker = async () => {
    while (next < bookingIds.length) {
      const id = bookingIds[next++];
      await cancelBooking(client, id).catch((e: Error) => failures.push(`${id}: ${e.message}`));
      bar.increment();
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  bar.stop();
  info(c.dim(`cancelled ${bookingIds.length - failures.length} test booking(s) (--keep to keep them)`));
  if (failures.length) warn(`${failures.length} could not be cancelled, e.g. ${failures[0]}`);
}

if (require.main === module) runMain(perfDemo);
