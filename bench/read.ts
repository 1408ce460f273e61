/**
 * `npm run bench:read`: the cache-aside read path under load.
 *  1. per read: database latency (?refresh=true) vs cache latency, as measured inside the query-service, and the speedup;
 *  2. throughput of cache hits through the gateway (a mix over the read endpoints, hot keys) with autocannon,
 *     against a minimal reference server (node:http + one iovalkey GET of the same keys), and the ratio;
 *  3. p99 at half of the gateway's peak rate.
 * Uses its own database (BENCH_DB_NAME, default cmiyc_bench_read, seeded at `small` scale when empty) and its own
 * key prefix; engine and servers come from the usual environment (DB_ENGINE, DB_HOST, CACHE_HOST...).
 */
import autocannon from 'autocannon';
import { ChildProcess, fork, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { AppConfig, loadConfig, migrateDatabase } from '@app/platform';
import { createValkeyClient } from '@app/cache';
import { isDatabaseEmpty, seedDatabase } from '../tools/seed/seed';
import { deleteKeysWithPrefix, freePort, waitForPort } from '../test/support/redis-server';
import { configEnv } from './env';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const DB_SAMPLES = 20;
const CACHE_SAMPLES = 200;
const dist = (p: string) => resolve(__dirname, '..', p);

interface Envelope {
  data: unknown;
  meta: { source: string; latencyMs: number; cacheKey: string | null };
}

async function main() {
  const base = loadConfig();
  const dbName = process.env.BENCH_DB_NAME ?? 'cmiyc_bench_read';
  if (dbName === 'flughafendb_large')
    throw new Error('The bench seeds its own database; pick another BENCH_DB_NAME');
  const [qsPort, gwPort, refPort] = [await freePort(), await freePort(), await freePort()];
  const config: AppConfig = {
    ...base,
    db: { ...base.db, name: dbName },
    cache: { ...base.cache, keyPrefix: 'cmiyc-bench-read:' },
    queryService: { host: '127.0.0.1', port: qsPort },
    gateway: { host: '127.0.0.1', port: gwPort },
    logLevel: 'warn',
  };

  // A database kept from an earlier run gets the migrations added since.
  await migrateDatabase(config.db);
  if (await isDatabaseEmpty(config.db)) {
    console.log(
      `Seeding ${config.db.engine} database ${dbName} at small scale (once; reused by later runs)...`,
    );
    const summary = await seedDatabase(config.db, { scale: 'small' });
    console.log(`  seeded ${summary.totalRows} rows in ${Math.round(summary.seconds)} s`);
  }

  const env = { ...process.env, ...configEnv(config) };
  const children: ChildProcess[] = [];
  const stopAll = () => children.forEach((c) => c.exitCode === null && c.kill('SIGTERM'));
  process.on('exit', stopAll);
  try {
    children.push(
      spawn(process.execPath, [dist('apps/query-service/src/main.js')], { env, stdio: 'inherit' }),
    );
    await waitForPort(qsPort, 30000);
    children.push(spawn(process.execPath, [dist('apps/gateway/src/main.js')], { env, stdio: 'inherit' }));
    await waitForPort(gwPort, 30000);
    const gw = `http://127.0.0.1:${gwPort}`;
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
      if (first && !['seats', 'passenger profile'].includes(name)) hotKeys[path] = first;
      console.log(pad(name, 22) + pad(fmt(db), 14) + pad(fmt(cache), 12) + `${(db / cache).toFixed(1)}x`);
    }

    // 2. Throughput of cache hits: gateway vs reference, same keys (string entries; hashes have no plain GET).
    const paths = Object.keys(hotKeys);
    const ref = fork(dist('bench/reference-server.js'), [], {
      env: { ...env, REF_PORT: String(refPort), REF_ROUTES: JSON.stringify(hotKeys) },
      stdio: 'inherit',
    });
    children.push(ref);
    await waitForPort(refPort, 10000);
    console.log(
      `\nThroughput, cache hits over ${paths.length} hot keys, ${CONNECTIONS} connections, ${DURATION_S} s each:`,
    );
    const gateway = await load(gw, paths);
    const reference = await load(`http://127.0.0.1:${refPort}`, paths);
    const ratio = gateway.rps / reference.rps;
    console.log(pad('gateway', 22) + describe(gateway));
    console.log(pad('reference (http+GET)', 22) + describe(reference));
    console.log(`gateway / reference: ${(ratio * 100).toFixed(0)} % (goal >= 50 %)`);

    // 3. p99 at half of the gateway's peak.
    const half = await load(gw, paths, Math.round(gateway.rps / 2));
    console.log(
      pad(`gateway @ ${Math.round(gateway.rps / 2)} req/s`, 22) + describe(half) + ' (goal p99 < 5 ms)',
    );
  } finally {
    stopAll();
    const valkey = createValkeyClient(config.cache);
    await deleteKeysWithPrefix(valkey, config.cache.keyPrefix);
    valkey.disconnect();
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
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)] ?? NaN;
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
const pad = (s: string, n: number) => s.padEnd(n);

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
