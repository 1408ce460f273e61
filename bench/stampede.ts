import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { AppConfig, loadConfig } from '@app/platform';
import { CachePrimitives, createCachePrimitives } from '@app/cache';
import {
  startWeatherProvider,
  WeatherProviderHandle,
} from '../apps/weather-service/src/provider/weather-provider.server';
import { createWeatherService, WeatherCacheOptions } from '../apps/weather-service/src/weather.service';

const USAGE = `
npm run bench:stampede -- [--concurrency 1,10,100,1000] [--processes 2] [--delay 300] [--repeat 3]

Cold-key stampede on the weather cache: N concurrent requests for one city that nobody has cached, spread over
several weather-service "processes" (each its own Valkey connections, lock client and pub/sub subscriber),
against an in-process mock provider with a fixed delay. For each N and each mode it reports the provider calls
and the cost of waiting: for every request that did not call the provider itself, its completion minus the moment
the provider answered (what the lock, the fill notification and the cache read add).

Modes: "lock"         the default: distributed lock + fill notification + in-process sharing;
       "lock, no sharing" every single request goes through the Valkey lock and pub/sub;
       "no lock"      plain cache-aside (stampedeProtection off; a bench-only constructor flag).

  --concurrency LIST  comma-separated request counts (default 1,10,100,1000)
  --processes N       independent service instances sharing one Valkey (default 2)
  --delay MS          provider latency (default 300)
  --repeat N          runs per cell; figures pool all runs (default 3)
`;

interface Mode {
  name: string;
  options: Partial<WeatherCacheOptions>;
}

const MODES: Mode[] = [
  { name: 'lock', options: {} },
  { name: 'lock, no sharing', options: { coalesce: false } },
  { name: 'no lock', options: { stampedeProtection: false } },
];

const CITY = { country: 'DE', zip: '10115', id: 'DE:10115' };

interface RunResult {
  upstreamCalls: number;
  failures: number;
  latencies: number[];
  waiterOverheads: number[];
}

async function main() {
  const { values } = parseArgs({
    options: {
      concurrency: { type: 'string', default: '1,10,100,1000' },
      processes: { type: 'string', default: '2' },
      delay: { type: 'string', default: '300' },
      repeat: { type: 'string', default: '3' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return console.log(USAGE.trim());
  const levels = values.concurrency.split(',').map((s) => intArg('concurrency', s, 1, 100_000));
  const processes = intArg('processes', values.processes, 1, 32);
  const delay = intArg('delay', values.delay, 0, 10_000);
  const repeat = intArg('repeat', values.repeat, 1, 100);

  Logger.overrideLogger(['error']);
  let firstReplyAt = 0;
  const provider = await startWeatherProvider({
    port: 0,
    minDelayMs: delay,
    maxDelayMs: delay,
    errorRate: 0,
    timeoutRate: 0,
    onReply: () => {
      if (!firstReplyAt) firstReplyAt = performance.now();
    },
  });
  const config = benchConfig(provider);
  console.log(
    `\nbench:stampede — ${processes} process(es), provider delay ${delay} ms, ${repeat} run(s) per cell, ` +
      `lock TTL ${config.weather.lockTtlMs} ms, Valkey ${config.cache.host}:${config.cache.port}\n`,
  );

  const rows: string[][] = [];
  try {
    // Warm-up (not reported): the first runs pay for JIT compilation and new connections.
    for (const mode of MODES) await stampede(config, provider, mode, processes, 100, () => firstReplyAt);
    for (const n of levels) {
      for (const mode of MODES) {
        const pooled: RunResult = { upstreamCalls: 0, failures: 0, latencies: [], waiterOverheads: [] };
        const callsPerRun: number[] = [];
        for (let r = 0; r < repeat; r++) {
          firstReplyAt = 0;
          const run = await stampede(config, provider, mode, processes, n, () => firstReplyAt);
          callsPerRun.push(run.upstreamCalls);
          pooled.failures += run.failures;
          pooled.latencies.push(...run.latencies);
          pooled.waiterOverheads.push(...run.waiterOverheads);
        }
        const lat = percentiles(pooled.latencies);
        const wait = percentiles(pooled.waiterOverheads);
        rows.push([
          String(n),
          mode.name,
          callsPerRun.join('/'),
          String(pooled.failures),
          fmt(lat.p50),
          fmt(lat.p99),
          pooled.waiterOverheads.length ? fmt(wait.p50) : '—',
          pooled.waiterOverheads.length ? fmt(wait.p99) : '—',
        ]);
        process.stdout.write('.');
      }
    }
  } finally {
    await provider.close();
  }
  process.stdout.write('\n\n');
  table(
    [
      'requests',
      'mode',
      'provider calls/run',
      'failed',
      'latency p50',
      'latency p99',
      'wait cost p50',
      'wait cost p99',
    ],
    rows,
  );
  console.log(
    '\nwait cost = completion of a request that did not call the provider − the moment the provider answered;' +
      '\nlatency   = whole request inside the service (cache read, lock, provider call or wait, cache write).',
  );
}

/** One cold stampede: fresh key prefix, fresh service instances, N requests fired at once. */
async function stampede(
  base: AppConfig,
  provider: WeatherProviderHandle,
  mode: Mode,
  processes: number,
  n: number,
  firstReplyAt: () => number,
): Promise<RunResult> {
  const config: AppConfig = {
    ...base,
    cache: { ...base.cache, keyPrefix: `cmiyc-bench:${process.pid}:${Date.now()}:` },
  };
  const nodes: CachePrimitives[] = await Promise.all(
    Array.from({ length: processes }, () => createCachePrimitives(config)),
  );
  const services = nodes.map((p) => createWeatherService(config, p, mode.options));
  const before = provider.stats().byCity[CITY.id] ?? 0;
  const latencies: number[] = [];
  const completions: number[] = [];
  let failures = 0;
  try {
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        try {
          const r = await services[i % processes].current({ country: CITY.country, zip: CITY.zip });
          latencies.push(r.latencyMs);
          // Requests that called the provider themselves are not waiters.
          if (r.source !== 'upstream') completions.push(performance.now());
        } catch {
          failures++;
        }
      }),
    );
  } finally {
    // Leave nothing behind: the entry, the statistics this run recorded, any failure marker.
    await Promise.all(nodes.map((p) => p.stats.flush()));
    // Retried: under a 1000-request burst a cache command can hit its timeout.
    for (let attempt = 0; attempt < 5; attempt++) {
      const left = await nodes[0].guard.run(async (c) => {
        const keys = await c.keys(`${config.cache.keyPrefix}*`);
        if (keys.length) await c.del(...keys);
        return (await c.keys(`${config.cache.keyPrefix}*`)).length;
      });
      if (left === 0) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    await Promise.all(nodes.map((p) => p.close()));
  }
  const replied = firstReplyAt();
  return {
    upstreamCalls: (provider.stats().byCity[CITY.id] ?? 0) - before,
    failures,
    latencies,
    waiterOverheads: completions.map((t) => t - replied),
  };
}

function benchConfig(provider: WeatherProviderHandle): AppConfig {
  return loadConfig({
    ...process.env,
    WEATHER_PROVIDER_HOST: '127.0.0.1',
    WEATHER_PROVIDER_PORT: String(provider.port),
    LOG_LEVEL: 'error',
  });
}

function intArg(name: string, raw: string, min: number, max: number): number {
  const v = Number(raw);
  if (!Number.isInteger(v) || v < min || v > max) {
    console.error(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return v;
}

function percentiles(values: number[]): { p50: number; p99: number } {
  if (!values.length) return { p50: NaN, p99: NaN };
  const s = [...values].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  return { p50: at(0.5), p99: at(0.99) };
}

const fmt = (v: number) => `${v.toFixed(2)} ms`;

function table(headers: string[], rows: string[][]) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '─'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

main().then(
  () => process.exit(0),
  (e: Error) => {
    console.error(`bench:stampede failed: ${e.message}`);
    process.exit(1);
  },
);
