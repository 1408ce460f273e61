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
import { createWeatherService } from '../apps/weather-service/src/weather.service';
import { CpuHogs, StampedeWorkers } from '../tools/stampede/workers';
import { loadavg } from 'node:os';

const USAGE = `
npm run bench:stampede -- [--concurrency 1,10,100,1000] [--processes 2] [--delay 300] [--repeat 3] [--skip-weather]

Part 1, the cache core across OS processes: --processes Node processes (tools/stampede/worker.ts) call
CacheService.getOrLoad at the same moment with a loader that takes --delay ms: N concurrent cold requests for one
key per process, and 200 per process for each of 5 keys. Reported: loader calls (goal: exactly one per key) and
waiter overhead (latency minus the loader's delay) p50/p99, with coalescing on and off, on an idle machine and
again with two CPU-bound processes (node -e 'for(;;){}') running beside it, with the load average.

Part 2, cold-key stampede on the weather cache: N concurrent requests for one city that nobody has cached, spread over
several weather-service "processes" (each its own Valkey connections, lock client and pub/sub subscriber),
against an in-process mock provider with a fixed delay. For each N and each mode it reports the provider calls
and the cost of waiting: for every request that did not call the provider itself, its completion minus the moment
the provider answered (what the lock, the fill notification and the cache read add).

Modes: "lock"         the default: distributed lock + fill notification + in-process coalescing;
       "lock, no sharing" CACHE_COALESCE=false: every single request goes through the Valkey lock and pub/sub.

  --concurrency LIST  comma-separated request counts (default 1,10,100,1000)
  --processes N       independent service instances sharing one Valkey (default 2)
  --delay MS          provider latency (default 300)
  --repeat N          runs per cell; figures pool all runs (default 3)
`;

interface Mode {
  name: string;
  coalesce: boolean;
}

const MODES: Mode[] = [
  { name: 'lock', coalesce: true },
  { name: 'lock, no sharing', coalesce: false },
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
      'skip-weather': { type: 'boolean', default: false },
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
  await crossProcess(levels, processes, delay, repeat);
  if (values['skip-weather']) return;

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

interface CrossRow {
  label: string;
  keys: number;
  perKey: number;
}

/** Part 1: the cache core called by several OS processes at once, idle and beside two CPU hogs. */
async function crossProcess(levels: number[], processes: number, delay: number, repeat: number) {
  const rows: CrossRow[] = [
    ...levels.map((n) => ({ label: `${n} x 1 key`, keys: 1, perKey: n })),
    { label: '200 x 5 keys', keys: 5, perKey: 200 },
  ];
  const base = loadConfig({ ...process.env, LOG_LEVEL: 'error' });
  const prefix = `cmiyc-bench:stampede:${process.pid}:`;
  console.log(
    `\nbench:stampede part 1 — the cache core across ${processes} OS processes, loader ${delay} ms, ` +
      `${repeat} run(s) per row, Valkey ${base.cache.host}:${base.cache.port}\n`,
  );
  const out: string[][] = [];
  let run = 0;
  for (const busy of [false, true]) {
    const hogs = busy ? CpuHogs.start(2) : undefined;
    try {
      for (const coalesce of [true, false]) {
        const workers = await StampedeWorkers.start(processes, {
          CACHE_HOST: base.cache.host,
          CACHE_PORT: String(base.cache.port),
          CACHE_KEY_PREFIX: prefix,
          CACHE_COALESCE: String(coalesce),
          LOG_LEVEL: 'error',
        });
        try {
          // Warm-up (not reported): JIT and connections.
          await workers.run({ keys: ['warm'], perKey: 10, loaderMs: delay });
          for (const row of rows) {
            const calls: number[] = [];
            const overheads: number[] = [];
            let failures = 0;
            const loads: number[] = [];
            for (let r = 0; r < repeat; r++) {
              run++;
              const keys = Array.from({ length: row.keys }, (_, k) => `cold:${run}:${k}`);
              const reports = await workers.run({ keys, perKey: row.perKey, loaderMs: delay });
              calls.push(reports.reduce((n, x) => n + x.loaderCalls, 0));
              failures += reports.reduce((n, x) => n + x.failures, 0);
              for (const x of reports) overheads.push(...x.latencies.map((ms) => ms - delay));
              loads.push(loadavg()[0]);
            }
            const o = percentiles(overheads);
            out.push([
              busy ? 'CPU hogs x2' : 'idle',
              coalesce ? 'on' : 'off',
              row.label,
              calls.join('/'),
              `${row.keys}`,
              String(failures),
              fmt(o.p50),
              fmt(o.p99),
              Math.max(...loads).toFixed(2),
            ]);
            process.stdout.write('.');
          }
        } finally {
          await workers.stop();
        }
      }
    } finally {
      await hogs?.stop();
    }
  }
  process.stdout.write('\n\n');
  table(
    [
      'machine',
      'coalescing',
      'requests per process',
      'loader calls/run',
      'goal',
      'failed',
      'overhead p50',
      'overhead p99',
      'load avg (1 min)',
    ],
    out,
  );
  const cleanup = await createCachePrimitives({ ...base, cache: { ...base.cache, keyPrefix: prefix } });
  try {
    await cleanup.guard.run(async (c) => {
      const keys = await c.keys(`${prefix}*`);
      if (keys.length) await c.del(...keys);
    }, 'script');
  } finally {
    await cleanup.close();
  }
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
    cache: { ...base.cache, coalesce: mode.coalesce, keyPrefix: `cmiyc-bench:${process.pid}:${Date.now()}:` },
  };
  const nodes: CachePrimitives[] = await Promise.all(
    Array.from({ length: processes }, () => createCachePrimitives(config)),
  );
  const services = nodes.map((p) => createWeatherService(config, p));
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
    cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
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
