import { performance } from 'node:perf_hooks';
import { WEATHER_LOCK_TTL_BOUNDS } from '@app/contracts';
import { intFlag, parseDemoArgs, runMain } from './demo/args';
import { GatewayError } from './demo/http';
import { banner, c, fail, info, ok, printTable, step } from './demo/output';
import { progressBar } from './demo/progress';
import { City, evictWeather, readWeather } from './demo/weather';

const USAGE = `
npm run demo:stampede -- [--requests 1000] [--threads 10] [--cities 3] [--lock-ttl 60000] [-v]

Cache stampede prevention: many concurrent requests for a few cities nobody has cached. Each request checks the
cache; on a miss exactly one of them (across all weather-service processes) takes the lock and calls the
provider, the others wait to be woken by its fill notification and are served what it stored.
Per city: requests, hits, misses, provider calls (from the provider's own counter), lock acquisitions, lock waits
and their average, timeouts, min/avg/max latency and the speedup; then the overall summary.
SUCCESS only when every city cost exactly one provider call and no request timed out or failed.

  --requests N       total requests (default 1000)
  --threads N        requests in flight at once (default 10)
  --cities N         how many of the 5 demo cities (default 3)
  --lock-ttl MS      stampede lock TTL in ms, from ${WEATHER_LOCK_TTL_BOUNDS.min} to ${WEATHER_LOCK_TTL_BOUNDS.max} (default 60000)
  --provider-url URL the mock provider, for its call counter (default http://localhost:3004, env WEATHER_PROVIDER_URL)
  -v, --verbose      per-request timeline
`;

const DEMO_CITIES: City[] = [
  { country: 'US', zip: '10001', name: 'New York' },
  { country: 'GB', zip: 'EC1A', name: 'London' },
  { country: 'DE', zip: '10115', name: 'Berlin' },
  { country: 'JP', zip: '100-0001', name: 'Tokyo' },
  { country: 'FR', zip: '75001', name: 'Paris' },
];

interface Outcome {
  city: City;
  startedAt: number;
  ms: number;
  status: number;
  source?: string;
  lock?: string;
  lockWaitMs?: number;
  wokenBy?: string;
  upstreamMs?: number;
  error?: string;
}

async function main(argv: string[]) {
  const cli = parseDemoArgs(
    argv,
    {
      requests: { type: 'string', default: '1000' },
      threads: { type: 'string', default: '10' },
      cities: { type: 'string', default: '3' },
      'lock-ttl': { type: 'string', default: '60000' },
      'provider-url': {
        type: 'string',
        default: process.env.WEATHER_PROVIDER_URL ?? 'http://localhost:3004',
      },
      verbose: { type: 'boolean', short: 'v', default: false },
    },
    USAGE,
  );
  if (!cli) return;
  const { client, values } = cli;
  const requests = intFlag('requests', values.requests, 1, 1_000_000);
  const threads = intFlag('threads', values.threads, 1, 1000);
  const cityCount = intFlag('cities', values.cities, 1, DEMO_CITIES.length);
  // The original accepted any value and silently broke every request under 1000 ms.
  const lockTtl = intFlag(
    'lock-ttl',
    values['lock-ttl'],
    WEATHER_LOCK_TTL_BOUNDS.min,
    WEATHER_LOCK_TTL_BOUNDS.max,
  );
  const providerUrl = String(values['provider-url']);
  const cities = DEMO_CITIES.slice(0, cityCount);

  banner(
    'Cache stampede prevention',
    `${requests} requests, ${threads} in flight, ${cityCount} cities, lock TTL ${lockTtl} ms, gateway ${client.baseUrl}`,
  );
  step(1, 'Start cold: remove the cities from the cache');
  for (const city of cities) await evictWeather(client, values, city);
  const before = await providerCalls(providerUrl);
  ok(`evicted ${cities.map((x) => x.name).join(', ')}; provider counter read at ${providerUrl}`);

  step(2, `Fire ${requests} requests, ${threads} at a time`);
  const outcomes = await fire(requests, threads, cities, (city) =>
    readWeather(client, city, `?lockTtlMs=${lockTtl}`),
  );
  const after = await providerCalls(providerUrl);

  if (values.verbose) {
    step('2b', 'Timeline');
    const t0 = Math.min(...outcomes.map((o) => o.startedAt));
    for (const o of [...outcomes].sort((a, b) => a.startedAt - b.startedAt)) {
      const what =
        o.error ??
        `${o.source} ${o.lock}${o.lock === 'waited' ? ` ${o.lockWaitMs?.toFixed(1)} ms (${o.wokenBy})` : ''}`;
      info(
        `${c.dim(`+${(o.startedAt - t0).toFixed(1).padStart(8)} ms`)} ${o.city.name.padEnd(9)} ${o.ms.toFixed(1).padStart(8)} ms  ${what}`,
      );
    }
  }

  step(3, 'Per city');
  const rows = cities.map((city) => {
    const mine = outcomes.filter((o) => o.city === city);
    const okOnes = mine.filter((o) => o.status === 200);
    const waits = okOnes.filter((o) => o.lock === 'waited');
    const lat = mine.map((o) => o.ms);
    const upstream = mine.find((o) => o.upstreamMs !== undefined)?.upstreamMs;
    const avg = lat.reduce((s, v) => s + v, 0) / lat.length;
    const calls = (after[id(city)] ?? 0) - (before[id(city)] ?? 0);
    return {
      city,
      calls,
      timeouts: mine.filter(isTimeout).length,
      failures: mine.filter((o) => o.status !== 200 && !isTimeout(o)).length,
      row: [
        city.name,
        mine.length,
        okOnes.filter((o) => o.source === 'cache').length,
        okOnes.filter((o) => o.source === 'upstream').length,
        calls,
        okOnes.filter((o) => o.lock === 'acquired').length,
        waits.length,
        waits.length
          ? `${(waits.reduce((s, o) => s + (o.lockWaitMs ?? 0), 0) / waits.length).toFixed(1)} ms`
          : '—',
        mine.filter(isTimeout).length,
        `${Math.min(...lat).toFixed(1)} ms`,
        `${avg.toFixed(1)} ms`,
        `${Math.max(...lat).toFixed(1)} ms`,
        // Every request calling the provider itself would have taken about one provider call.
        upstream ? `${(upstream / avg).toFixed(1)}×` : '—',
      ],
    };
  });
  printTable(
    [
      'city',
      'requests',
      'hits',
      'misses',
      'provider calls',
      'lock acq.',
      'lock waits',
      'avg wait',
      'timeouts',
      'min',
      'avg',
      'max',
      'speedup',
    ],
    rows.map((r) => r.row),
  );

  step(4, 'Summary');
  const totalCalls = rows.reduce((s, r) => s + r.calls, 0);
  const timeouts = rows.reduce((s, r) => s + r.timeouts, 0);
  const failures = rows.reduce((s, r) => s + r.failures, 0);
  const all = outcomes.map((o) => o.ms);
  info(`requests ${requests}, provider calls ${totalCalls} (without the cache: ${requests})`);
  info(`provider calls avoided: ${(((requests - totalCalls) / requests) * 100).toFixed(2)} %`);
  info(
    `latency min/avg/max ${Math.min(...all).toFixed(1)} / ${(all.reduce((s, v) => s + v, 0) / all.length).toFixed(1)} / ${Math.max(...all).toFixed(1)} ms`,
  );
  info(`timeouts ${timeouts}, other failures ${failures}`);
  for (const o of outcomes.filter((x) => x.error).slice(0, 3)) fail(`${o.city.name}: ${o.error}`);
  const perCityOk = rows.every((r) => r.calls === 1);
  if (perCityOk && timeouts === 0 && failures === 0) {
    ok(c.green(c.bold('SUCCESS: exactly one provider call per city, every request answered')));
  } else {
    const why = [
      ...rows.filter((r) => r.calls !== 1).map((r) => `${r.city.name} cost ${r.calls} provider calls`),
      ...(timeouts ? [`${timeouts} timed out`] : []),
      ...(failures ? [`${failures} failed`] : []),
    ];
    fail(c.red(c.bold(`FAILURE: ${why.join('; ')}`)));
    process.exitCode = 1;
  }
}

/** Runs `total` requests, `threads` at a time, round-robin over the cities, with a progress bar. */
async function fire(
  total: number,
  threads: number,
  cities: City[],
  read: (city: City) => ReturnType<typeof readWeather>,
): Promise<Outcome[]> {
  const bar = progressBar('requests', total);
  const outcomes: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const city = cities[next++ % cities.length];
      const startedAt = performance.now();
      try {
        const r = await read(city);
        const m = r.meta;
        outcomes.push({
          city,
          startedAt,
          ms: r.roundTripMs,
          status: 200,
          source: m.source,
          lock: m.lock as string,
          lockWaitMs: m.lockWaitMs as number,
          wokenBy: m.wokenBy as string | undefined,
          upstreamMs: m.upstreamMs as number | undefined,
        });
      } catch (e) {
        const status = e instanceof GatewayError ? e.status : 0;
        outcomes.push({
          city,
          startedAt,
          ms: performance.now() - startedAt,
          status,
          error: (e as Error).message,
        });
      }
      bar.increment();
    }
  };
  await Promise.all(Array.from({ length: Math.min(threads, total) }, worker));
  bar.stop();
  return outcomes;
}

const id = (city: City) => `${city.country}:${city.zip}`;
const isTimeout = (o: Outcome) => o.status === 504 || o.wokenBy === 'timeout';

/** The provider's own count of calls per city: the witness that does not depend on the service's account. */
async function providerCalls(url: string): Promise<Record<string, number>> {
  try {
    const res = await fetch(`${url}/admin/stats`);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return ((await res.json()) as { byCity: Record<string, number> }).byCity;
  } catch (e) {
    throw new Error(
      `Cannot read the provider's call counter at ${url}/admin/stats (${(e as Error).message}); pass --provider-url`,
      { cause: e },
    );
  }
}

runMain(main);
