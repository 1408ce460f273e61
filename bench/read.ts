/**
 * `npm run bench:read`: the cache-aside read path under load.
 *  1. per read: database latency (?refresh=true) vs cache latency, as measured inside the query-service, and the speedup;
 *  2. throughput of cache hits through the gateway (a mix over the read endpoints, hot keys) with autocannon,
 *     against a minimal reference server (node:http + one iovalkey GET of the same keys), and the ratio;
 *  3. p99 at half of the gateway's peak rate, and the reference's p99 at that same rate;
 *  4. the same with the gateway's near cache off (CACHE_NEAR_MAX_BYTES=0);
 *  5. in-process hit cost: CacheService.cachedJson with the near cache on and off against the floor of a raw
 *     iovalkey GET + JSON.parse of the same entry;
 *  6. invalidation lag: a key changed by another connection of this process, and by another OS process, until this
 *     process's near cache has dropped it.
 * Uses its own database (BENCH_DB_NAME, default cmiyc_bench_read, seeded at `small` scale when empty) and its own
 * key prefix; engine and servers come from the usual environment (DB_ENGINE, DB_HOST, CACHE_HOST...).
 */
import autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { AppConfig, loadConfig } from '@app/platform';
import { createCachePrimitives, createValkeyClient } from '@app/cache';
import { performance } from 'node:perf_hooks';
import { freePort, waitForPort } from '../test/support/redis-server';
import { configEnv } from './env';
import {
  benchDatabaseName,
  BenchProcesses,
  deleteBenchKeys,
  dist,
  median,
  pad,
  pct,
  prepareBenchDatabase,
  servicesConfig,
} from './support';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DB_SAMPLES = 20;
/** BENCH_READS=flight,airport: the throughput runs over these reads only (default: every JSON read). */
const ONLY = process.env.BENCH_READS?.split(',').map((r) => r.trim());
const CACHE_SAMPLES = 200;

interface Envelope {
  data: unknown;
  meta: { source: string; latencyMs: number; cacheKey: string | null };
}

async function main() {
  const base = loadConfig();
  const dbName = benchDatabaseName('cmiyc_bench_read');
  const config = await servicesConfig(base, dbName, 'cmiyc-bench-read:');
  const refPort = await freePort();
  await prepareBenchDatabase(config.db, 'small', { reportRows: true });

  const env = { ...process.env, ...configEnv(config) };
  const processes = new BenchProcesses();
  try {
    const gw = await processes.startQueryServiceAndGateway(config, env);
    const auth = `Basic ${Buffer.from(`${config.admin.user}:${config.admin.password}`).toString('base64')}`;
    await fetch(`${gw}/api/cache`, { method: 'DELETE', headers: { Authorization: auth } });

    const reads = await discoverReads(gw);
    console.log(
      `\nDatabase: ${config.db.flavor} ${dbName}; cache: ${config.cache.host}:${config.cache.port}\n`,
    );

    // 1. Per read: database vs cache latency, measured inside the service (meta.latencyMs).
    console.log('Per read (median of in-service latency):');
    console.log(pad('read', 22) + pad('database ms', 14) + pad('cache ms', 12) + 'speedup');
    const hotKeys: Record<string, string> = {};
    for (const [name, path] of Object.entries(reads)) {
      const db = await sampleLatency(
        gw,
        `${path}${path.includes('?') ? '&' : '?'}refresh=true`,
        DB_SAMPLES,
        'database',
      );
      const cache = await sampleLatency(gw, path, CACHE_SAMPLES, 'cache');
      const first = (await getJson(gw + path)).meta.cacheKey;
      if (first && !['seats', 'passenger profile'].includes(name) && (!ONLY || ONLY.includes(name)))
        hotKeys[path] = first;
      console.log(pad(name, 22) + pad(fmt(db), 14) + pad(fmt(cache), 12) + `${(db / cache).toFixed(1)}x`);
    }

    // 2. Throughput of cache hits: gateway vs reference, same keys (string entries; hashes have no plain GET).
    const paths = Object.keys(hotKeys);
    const ref = fork(dist('bench/reference-server.js'), [], {
      env: { ...env, REF_PORT: String(refPort), REF_ROUTES: JSON.stringify(hotKeys) },
      stdio: 'inherit',
    });
    processes.add(ref);
    await waitForPort(refPort, 10000);
    console.log(
      `\nThroughput, cache hits over ${paths.length} hot keys, ${CONNECTIONS} connections, ${DURATION_S} s each:`,
    );
    const gateway = await load(gw, paths);
    const reference = await load(`http://127.0.0.1:${refPort}`, paths);
    const ratio = gateway.rps / reference.rps;
    console.log(pad('gateway', 22) + describe(gateway));
    console.log(pad('reference (http+GET)', 22) + describe(reference));
    console.log(`gateway / reference: ${(ratio * 100).toFixed(0)} % (goal >= 100 %)`);

    // 3. p99 at half of the gateway's peak.
    const half = await load(gw, paths, Math.round(gateway.rps / 2));
    console.log(
      pad(`gateway @ ${Math.round(gateway.rps / 2)} req/s`, 22) + describe(half) + ' (goal p99 < 5 ms)',
    );
    // The same rate on the reference: what this machine and load generator give the least a server can do.
    const referenceAtHalf = await load(`http://127.0.0.1:${refPort}`, paths, Math.round(gateway.rps / 2));
    console.log(pad(`reference @ same rate`, 22) + describe(referenceAtHalf));

    // 4. The gateway with its near cache off: every hit is one GET to Valkey.
    const offPort = await freePort();
    await processes.startNode(
      'apps/gateway/src/main.js',
      { ...env, GATEWAY_PORT: String(offPort), CACHE_NEAR_MAX_BYTES: '0' },
      offPort,
    );
    const nearOff = await load(`http://127.0.0.1:${offPort}`, paths);
    console.log(pad('gateway, near off', 22) + describe(nearOff));
    console.log(
      `near cache on / off: ${(gateway.rps / nearOff.rps).toFixed(2)}x; ` +
        `gateway (near on) / reference: ${ratio.toFixed(2)}x (goal >= 1.0x)`,
    );

    // 5 and 6: in-process hit cost and invalidation lag.
    await inProcess(config);
  } finally {
    processes.stopAll();
    await deleteBenchKeys(config.cache);
  }
}

/** Hit cost inside one process (near on / off) against a raw GET + JSON.parse, and invalidation lag. */
async function inProcess(config: AppConfig) {
  const N = Number(process.env.BENCH_HITS ?? 20000);
  const value = {
    flightId: 115,
    flightno: 'LH 115',
    airline: { name: 'Lufthansa', iata: 'LH' },
    from: { iata: 'FRA', name: 'Frankfurt am Main' },
    to: { iata: 'JFK', name: 'John F Kennedy Intl' },
    departure: '2026-12-15T10:00:00Z',
    arrival: '2026-12-15T18:30:00Z',
  };
  const near = await createCachePrimitives(config);
  const off = await createCachePrimitives({
    ...config,
    cache: { ...config.cache, near: { ...config.cache.near, maxBytes: 0 } },
  });
  const raw = createValkeyClient(config.cache);
  const other = createValkeyClient(config.cache);
  try {
    await near.cache.set('bench:hit', value, { ttl: 300 });
    const key = near.cache.key('bench:hit');
    const time = async (op: () => Promise<unknown>) => {
      for (let i = 0; i < 1000; i++) await op(); // warm-up
      const t = performance.now();
      for (let i = 0; i < N; i++) await op();
      return ((performance.now() - t) * 1000) / N; // µs per hit
    };
    const floor = await time(async () => JSON.parse((await raw.get(key))!));
    const nearOff = await time(() => off.cache.cachedJson('bench:hit'));
    const nearOn = await time(() => near.cache.cachedJson('bench:hit'));
    console.log(`\nIn-process hit cost, ${N} sequential hits of one flight entry:`);
    console.log(pad('raw GET + JSON.parse', 26) + `${floor.toFixed(1)} µs`);
    console.log(pad('cachedJson, near off', 26) + `${nearOff.toFixed(1)} µs`);
    console.log(
      pad('cachedJson, near on', 26) +
        `${nearOn.toFixed(2)} µs  (${(floor / nearOn).toFixed(0)}x the floor; goal >= 3x)`,
    );

    // Invalidation lag: another connection changes the key; how long until this process has dropped it.
    const lags: number[] = [];
    for (let i = 0; i < 500; i++) {
      await near.cache.cachedJson('bench:hit');
      await near.cache.cachedJson('bench:hit'); // held in memory
      const before = near.near.stats().invalidations;
      const t0 = performance.now();
      await other.set(key, JSON.stringify({ ...value, i }), 'EX', 300);
      while (near.near.stats().invalidations === before) await new Promise((r) => setImmediate(r));
      lags.push(performance.now() - t0);
    }
    lags.sort((a, b) => a - b);
    const at = (q: number) => pct(lags, q);
    console.log(
      `Invalidation lag (SET by another connection of this process -> dropped here), ${lags.length} changes: ` +
        `p50 ${at(0.5).toFixed(3)} ms, p99 ${at(0.99).toFixed(3)} ms`,
    );
    const across = (await crossProcessLags(near, key, value, config)).sort((a, b) => a - b);
    console.log(
      `Invalidation lag (SET by another OS process -> dropped here), ${across.length} changes: ` +
        `p50 ${pct(across, 0.5).toFixed(3)} ms, p99 ${pct(across, 0.99).toFixed(3)} ms (goal p99 < 5 ms)`,
    );
  } finally {
    raw.disconnect();
    other.disconnect();
    await near.close();
    await off.close();
  }
}

/**
 * A key changed by another OS process (bench/lag-writer): from the moment it issued the SET to the moment this
 * process's near cache dropped the key, both read from the system clock.
 */
async function crossProcessLags(
  near: Awaited<ReturnType<typeof createCachePrimitives>>,
  key: string,
  value: object,
  config: AppConfig,
): Promise<number[]> {
  const env = { ...process.env, CACHE_HOST: config.cache.host, CACHE_PORT: String(config.cache.port) };
  const writer = fork(dist('bench/lag-writer.js'), [], { env, stdio: 'inherit' });
  const next = () =>
    new Promise<{ at?: number; error?: string; ready?: boolean }>((resolve) =>
      writer.once('message', resolve),
    );
  try {
    await next(); // ready
    const lags: number[] = [];
    for (let i = 0; i < 500; i++) {
      await near.cache.cachedJson('bench:hit');
      await near.cache.cachedJson('bench:hit'); // held in memory
      const before = near.near.stats().invalidations;
      const answered = next();
      writer.send({ key, value: JSON.stringify({ ...value, i: -i }) });
      while (near.near.stats().invalidations === before) await new Promise((r) => setImmediate(r));
      const dropped = performance.timeOrigin + performance.now();
      const reply = await answered;
      if (reply.error !== undefined || reply.at === undefined) throw new Error(`lag writer: ${reply.error}`);
      lags.push(dropped - reply.at);
    }
    return lags;
  } finally {
    writer.disconnect();
  }
}

/** The read endpoints with ids that exist in the seeded data. */
async function discoverReads(gw: string): Promise<Record<string, string>> {
  const sample = (await getJson(`${gw}/api/passengers/sample?count=5`)).data as {
    passportNo: string;
    passengerId: number;
  }[];
  const jfk = (await getJson(`${gw}/api/airports/JFK`)).data as { country: string };
  const today = new Date().toISOString().slice(0, 10);
  const inTwoDays = new Date(Date.now() + 2 * 86_400_000).toISOString().slice(0, 10);
  return {
    flight: '/api/flights/115',
    manifest: '/api/flights/115/manifest',
    seats: '/api/flights/115/seats',
    'passenger flights': `/api/passengers/${sample[0].passportNo}/flights`,
    'passenger profile': `/api/passengers/${sample[0].passengerId}/profile`,
    'airports by country': `/api/airports?country=${encodeURIComponent(jfk.country)}&limit=10`,
    airport: '/api/airports/JFK',
    'flight search': `/api/search/flights?from=JFK&to=LAX&date=${today}`,
    'round trip': `/api/search/roundtrip?from=JFK&to=LAX&depart=${today}&return=${inTwoDays}`,
    'hub routes': '/api/routes/hubs?airports=ATL,ORD,JFK,LAX,DFW&limit=20',
  };
}

async function getJson(url: string): Promise<Envelope> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Envelope;
}

async function sampleLatency(gw: string, path: string, n: number, expected: string): Promise<number> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const { meta } = await getJson(gw + path);
    if (meta.source === expected) ms.push(meta.latencyMs);
  }
  return median(ms);
}

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function load(url: string, paths: string[], overallRate?: number): Promise<LoadResult> {
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION_S,
    requests: paths.map((path) => ({ method: 'GET' as const, path })),
    ...(overallRate ? { overallRate } : {}),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

const describe = (r: LoadResult) =>
  `${Math.round(r.rps)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${r.errors ? `, ${r.errors} errors/non-2xx` : ''}`;
const fmt = (ms: number) => ms.toFixed(3);

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
