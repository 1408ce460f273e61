import type { ExplainableQuery, ManifestEntry, PassengerFlights } from '@app/contracts';
import { intFlag, parseDemoArgs, runMain } from './demo/args';
import {
  airportCode,
  bookWriteThrough,
  cancelBooking,
  flightDetails,
  freeSeats,
  querySql,
  samplePassengers,
  sleep,
} from './demo/fixtures';
import { Envelope, GatewayClient, GatewayError } from './demo/http';
import {
  banner,
  block,
  c,
  formatSql,
  info,
  ms,
  ok,
  pause,
  printTable,
  sourceLabel,
  speedup,
  step,
  summarize,
  warn,
} from './demo/output';

const USAGE = `
npm run demo:cache-aside -- [-i] [-v] [-f] [--flight-id 115] [--engine valkey|memcached]

Cache-aside through the gateway: a simple, a medium and an advanced query each run twice (the first read misses
and fills the cache, the second is served from it), then a write invalidates a cached entry, then min/avg/max
latency of misses and hits and the speedup, and what the engine in use does differently.

The engine is the running stack's (CACHE_ENGINE, chosen when the apps start; the demo reads it from GET /health).
To see the other one, restart the stack with it and run the demo again:
  CACHE_ENGINE=memcached npm start          (memcached at MEMCACHED_HOST:MEMCACHED_PORT, default localhost:11211)
  npm start                                 (Valkey, the default)

  -i, --interactive   pause between steps
  -v, --verbose       show each query's SQL (from GET /api/queries/:name/explain) and a sample of the rows
  -f, --flush         flush this project's cache keys first (DELETE /api/cache, admin credentials)
  --flight-id N       flight used by the medium query and the invalidation step (default 115)
  --engine E          the engine you expect (valkey or memcached): stop with a hint when the stack runs the other
`;

type EngineName = 'valkey' | 'memcached';

/**
 * Which engine holds the cache-aside entries, as the gateway's GET /health says: it reports a memcached check only
 * when CACHE_ENGINE=memcached. (A 503 still carries the details.)
 */
async function runningEngine(client: GatewayClient): Promise<{ name: EngineName; address?: string }> {
  let body: unknown;
  try {
    body = (await client.request<unknown>('GET', '/health')).body;
  } catch (e) {
    if (!(e instanceof GatewayError)) throw e;
    body = e.body;
  }
  const memcached = (body as { details?: Record<string, { address?: string }> } | null)?.details?.memcached;
  return memcached ? { name: 'memcached', address: memcached.address } : { name: 'valkey' };
}

/** What each engine does differently on this path (see README, "Caching patterns"). */
const ENGINE_NOTES: Record<EngineName, string[]> = {
  valkey: [
    'a hit is one GET; hits of hot keys may come from the near cache (memory, kept coherent by CLIENT TRACKING)',
    "a waiter for another process's load is woken by pub/sub the moment the value lands",
    'tags are sets: an invalidation deletes the entries (Lua script, fenced by the server clock)',
  ],
  memcached: [
    "no near cache: memcached cannot tell a process that an entry changed, so every hit is a round trip — two: the entry with its key's marks, then its tags' marks",
    'no pub/sub: waiters poll the lock (10 ms, growing to 100 ms, jittered) — a little later than a notification, and a few GETs per wait',
    "tags by generations: an invalidation bumps one counter (INCR) and raises the tags' marks; entries are skipped, not deleted, and age out",
    'seat maps, profiles, popular routes, sessions, leaderboards, queues and streams stay on Valkey',
  ],
};

interface DemoQuery {
  level: string;
  title: string;
  /** The query whose SQL --verbose shows (GET /api/queries/:name/explain). */
  explain: ExplainableQuery;
  path: string;
  rows: (data: unknown) => number;
}

interface Measured {
  query: DemoQuery;
  runs: Array<Envelope<unknown> & { roundTripMs: number }>;
}

export async function cacheAsideDemo(argv: string[]): Promise<void> {
  const cli = parseDemoArgs(
    argv,
    {
      interactive: { type: 'boolean', short: 'i', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      flush: { type: 'boolean', short: 'f', default: false },
      'flight-id': { type: 'string', default: '115' },
      engine: { type: 'string' },
    },
    USAGE,
  );
  if (!cli) return;
  const { client, values } = cli;
  const interactive = values.interactive === true;
  const verbose = values.verbose === true;
  const flightId = intFlag('flight-id', values['flight-id'], 1);
  const wanted = values.engine;
  if (wanted !== undefined && wanted !== 'valkey' && wanted !== 'memcached')
    throw new Error(`--engine must be valkey or memcached, got ${JSON.stringify(wanted)}`);
  const engine = await runningEngine(client);
  if (wanted && wanted !== engine.name) {
    throw new Error(
      `the stack at ${client.baseUrl} keeps its cache-aside entries in ${engine.name}, not ${wanted}: the engine is ` +
        `chosen when the apps start. Restart them with ${wanted === 'memcached' ? 'CACHE_ENGINE=memcached npm start' : 'npm start (CACHE_ENGINE unset)'} and run the demo again.`,
    );
  }
  const where = engine.name === 'memcached' ? `memcached at ${engine.address}` : 'Valkey';

  banner(
    'Cache-aside demo',
    `gateway ${client.baseUrl}: read from ${where}, on a miss load from the database and fill`,
  );

  step(0, 'Preparing: a flight and a passenger from this database');
  const flight = await flightDetails(client, flightId);
  const passengers = await samplePassengers(client, 10);
  const passenger = passengers.reduce((a, b) => (b.bookings > a.bookings ? b : a));
  const iata = flight.from.iata ?? 'JFK';
  info(
    `flight ${flight.flightId} (${flight.flightno}) ${airportCode(flight.from)} → ${airportCode(flight.to)}, passenger ${passenger.label}`,
  );
  if (values.flush) {
    const reply = await client.flushCache();
    const deleted = (reply.body as { deleted?: number } | null)?.deleted;
    ok(`DELETE /api/cache: flushed ${deleted ?? 'the'} keys under this project's prefix`);
    if (engine.name === 'memcached')
      info('(memcached entries are not counted: the purge raised their namespace mark, they age out)');
  }

  const queries: DemoQuery[] = [
    {
      level: 'simple',
      title: `Airport by IATA code (${iata}): airport ⟕ airport_geo`,
      explain: 'airport',
      path: `/api/airports/${iata}`,
      rows: () => 1,
    },
    {
      level: 'medium',
      title: `Manifest of flight ${flightId}: booking ⋈ passenger ⟕ passengerdetails`,
      explain: 'manifest',
      path: `/api/flights/${flightId}/manifest`,
      rows: (d) => (d as ManifestEntry[]).length,
    },
    {
      level: 'advanced',
      title: `Last 10 flights of ${passenger.passportNo}: 8-table join`,
      explain: 'passenger_flights',
      path: `/api/passengers/${encodeURIComponent(passenger.passportNo)}/flights`,
      rows: (d) => (d as PassengerFlights).flights.length,
    },
  ];

  const measured: Measured[] = [];
  let n = 1;
  for (const q of queries) {
    await pause(interactive);
    step(n++, `${c.bold(q.level.toUpperCase())} query: ${q.title}`);
    info(`GET ${q.path}`);
    if (verbose) {
      const plan = await querySql(client, q.explain);
      if (plan) {
        info(c.dim(`SQL on ${plan.engine} (parameters bound per engine):`));
        block(formatSql(plan.sql));
      } else warn('SQL not available (GET /api/queries/:name/explain failed)');
    }
    const runs: Measured['runs'] = [];
    for (const attempt of [1, 2]) {
      const env = await client.read<unknown>(q.path);
      runs.push(env);
      info(
        `run ${attempt}: ${sourceLabel(env.meta.source)} ${ms(env.meta.latencyMs).padStart(12)} in the service, ` +
          `${ms(env.roundTripMs)} round trip, ${q.rows(env.data)} row(s), key ${c.cyan(env.meta.cacheKey ?? '(none)')}`,
      );
    }
    if (verbose) block(JSON.stringify(runs[1].data, null, 2).split('\n').slice(0, 14).join('\n') + '\n…');
    if (runs[0].meta.source === 'cache')
      warn('the first read was already cached: run with -f to start from a cold cache');
    else if (runs[1].meta.source === 'cache') {
      ok(
        `second read ${speedup(runs[0].meta.latencyMs, runs[1].meta.latencyMs)} faster (service-side latency)`,
      );
    }
    measured.push({ query: q, runs });
  }

  await pause(interactive);
  step(n++, `Invalidation: a booking on flight ${flightId} must evict its cached manifest`);
  await invalidationStep(client, flightId, passenger.passengerId, queries[1].path);

  await pause(interactive);
  step(n, 'Summary');
  printSummary(measured);
  printEngine(engine.name, measured);
}

/** The engine in use, its hit latency in this run, and what it does differently from the other one. */
function printEngine(name: EngineName, measured: Measured[]): void {
  const hits = measured.flatMap((m) => m.runs.filter((r) => r.meta.source === 'cache'));
  const avgHit = summarize(hits.map((r) => r.meta.latencyMs))?.avg;
  console.log(`\n  ${c.bold(`Engine: ${name}`)} — hit latency in this run ${ms(avgHit)} (service-side avg)`);
  for (const note of ENGINE_NOTES[name]) console.log(`    • ${note}`);
  const other: EngineName = name === 'valkey' ? 'memcached' : 'valkey';
  console.log(
    c.dim(
      `    Compare: restart with ${other === 'memcached' ? 'CACHE_ENGINE=memcached npm start' : 'npm start'} and run npm run demo:cache-aside -- -f --engine ${other}`,
    ),
  );
}

/**
 * A write-through booking publishes an event; the manifest entry is dropped (tags), so the next read misses and
 * shows the new passenger. The booking is cancelled afterwards, which invalidates the entry again.
 */
async function invalidationStep(
  client: GatewayClient,
  flightId: number,
  passengerId: number,
  manifestPath: string,
) {
  const before = await client.read<ManifestEntry[]>(manifestPath);
  info(`manifest before: ${before.data.length} passengers, ${sourceLabel(before.meta.source)}`);
  const seat = (await freeSeats(client, flightId))[0];
  if (!seat) {
    warn(
      `flight ${flightId} is full; showing ?refresh=true instead (load from the database and overwrite the entry)`,
    );
    const refreshed = await client.read<ManifestEntry[]>(manifestPath, { refresh: true });
    info(
      `GET ${manifestPath}?refresh=true: ${sourceLabel(refreshed.meta.source)} ${ms(refreshed.meta.latencyMs)}`,
    );
    return;
  }
  let booking;
  try {
    booking = await bookWriteThrough(client, { flightId, passengerId, seat, price: 99 });
  } catch (e) {
    warn(`could not book seat ${seat}: ${(e as Error).message}`);
    return;
  }
  ok(
    `POST /api/bookings: seat ${seat} booked for passenger ${passengerId} (booking ${booking.bookingId}, write-through)`,
  );
  await expectMiss(client, manifestPath, (rows) => rows.some((r) => r.seat === seat), `seat ${seat} listed`);
  await cancelBooking(client, booking.bookingId);
  ok(`DELETE /api/bookings/${booking.bookingId}: cancelled again, the demo leaves the data as it found it`);
  await expectMiss(client, manifestPath, (rows) => !rows.some((r) => r.seat === seat), `seat ${seat} gone`);
}

/** Reads until the entry reflects the write (invalidation may travel through the event queue). */
async function expectMiss(
  client: GatewayClient,
  path: string,
  reflectsWrite: (rows: ManifestEntry[]) => boolean,
  what: string,
): Promise<void> {
  const started = Date.now();
  for (;;) {
    const env = await client.read<ManifestEntry[]>(path);
    if (reflectsWrite(env.data)) {
      info(
        `manifest now: ${env.data.length} passengers, ${what}, ${sourceLabel(env.meta.source)} ${ms(env.meta.latencyMs)}` +
          ` (consistent ${Date.now() - started} ms after the write)`,
      );
      return;
    }
    if (Date.now() - started > 5000) {
      warn(
        `after 5 s the cached manifest still does not reflect the write (${what} expected): invalidation is not working`,
      );
      return;
    }
    await sleep(50);
  }
}

function printSummary(measured: Measured[]): void {
  const misses = measured.flatMap((m) => m.runs.filter((r) => r.meta.source !== 'cache'));
  const hits = measured.flatMap((m) => m.runs.filter((r) => r.meta.source === 'cache'));
  printTable(
    ['query', 'run 1', 'latency', 'run 2', 'latency', 'speedup'],
    measured.map((m) => [
      m.query.level,
      m.runs[0].meta.source,
      ms(m.runs[0].meta.latencyMs),
      m.runs[1].meta.source,
      ms(m.runs[1].meta.latencyMs),
      speedup(m.runs[0].meta.latencyMs, m.runs[1].meta.latencyMs),
    ]),
  );
  console.log();
  const rows: Array<Array<string | number>> = [];
  for (const [label, list] of [
    ['misses (database)', misses],
    ['hits (cache)', hits],
  ] as const) {
    const service = summarize(list.map((r) => r.meta.latencyMs));
    const trip = summarize(list.map((r) => r.roundTripMs));
    rows.push([label, list.length, ms(service?.min), ms(service?.avg), ms(service?.max), ms(trip?.avg)]);
  }
  printTable(['', 'reads', 'min', 'avg', 'max', 'avg round trip'], rows);
  const avgMiss = summarize(misses.map((r) => r.meta.latencyMs))?.avg;
  const avgHit = summarize(hits.map((r) => r.meta.latencyMs))?.avg;
  console.log(
    `\n  ${c.bold('Cache speedup')} (avg miss ÷ avg hit, service-side): ${c.green(speedup(avgMiss, avgHit))}`,
  );
  if (!avgMiss || !avgHit) warn('need at least one miss and one hit for a speedup: run with -f');
}

if (require.main === module) runMain(cacheAsideDemo);
