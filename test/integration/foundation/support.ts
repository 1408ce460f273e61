import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { AppConfig, DbEngine } from '@app/platform';
import { createValkeyClient } from '@app/cache';
import { storageEnv, testConfig } from '../../support/test-env';
import { AppName, appMainPath } from '../../../tools/startup/apps';

/** Helpers for the foundation suites: free ports, child processes from dist/, environment for them. */
export const ROOT = resolve(__dirname, '..', '..', '..');

export function distPath(...parts: string[]): string {
  const path = resolve(ROOT, 'dist', ...parts);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm test does)`);
  return path;
}

/** Ports the OS just handed out and released: free for the child processes about to bind them. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<ReturnType<typeof createServer>>((ok, fail) => {
          const s = createServer();
          s.once('error', fail);
          s.listen(0, '127.0.0.1', () => ok(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((ok) => s.close(ok))));
  return ports;
}

/** Nothing listens here: connecting is refused at once. */
export async function closedPort(): Promise<number> {
  return (await freePorts(1))[0];
}

/**
 * The environment a spawned app needs to match `config` (a testConfig: own database and key prefix), with
 * ports of its own. Starts from PATH/HOME only, so the developer's shell or .env cannot leak in.
 */
export function envFor(config: AppConfig, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...storageEnv(config),
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(config.gateway.port),
    QUERY_SERVICE_PORT: String(config.queryService.port),
    WRITER_SERVICE_PORT: String(config.writerService.port),
    WEATHER_SERVICE_PORT: String(config.weatherService.port),
    CACHE_WARMER_PORT: String(config.cacheWarmer.port),
    WEATHER_PROVIDER_PORT: String(config.weather.provider.port),
    INTERNAL_TOKEN: config.internalToken,
    QUERY_SERVICE_METRICS_PORT: String(config.metrics.queryService),
    WRITER_SERVICE_METRICS_PORT: String(config.metrics.writerService),
    WEATHER_SERVICE_METRICS_PORT: String(config.metrics.weatherService),
    CACHE_WARMER_METRICS_PORT: String(config.metrics.cacheWarmer),
    LOG_LEVEL: 'warn',
    ...overrides,
  };
}

/** A testConfig whose six listening ports are free ones. */
export async function configWithFreePorts(
  engine: DbEngine,
  overrides: NodeJS.ProcessEnv = {},
): Promise<AppConfig> {
  const [gateway, query, writer, weather, warmer, provider] = await freePorts(6);
  return testConfig(engine, {
    GATEWAY_HOST: '127.0.0.1',
    GATEWAY_PORT: String(gateway),
    QUERY_SERVICE_PORT: String(query),
    WRITER_SERVICE_PORT: String(writer),
    WEATHER_SERVICE_PORT: String(weather),
    CACHE_WARMER_PORT: String(warmer),
    WEATHER_PROVIDER_PORT: String(provider),
    ...overrides,
  });
}

export interface Child {
  process: ChildProcess;
  output: () => string;
  stderr: () => string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

export function spawnNode(script: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Child {
  return spawnCommand(process.execPath, [script, ...args], env, cwd);
}

/** Any command (npm itself, say), with its output collected. */
export function spawnCommand(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = ROOT): Child {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => {
    err += d;
    out += d;
  });
  const exited = new Promise<number | string>((ok) =>
    child.once('exit', (code, signal) => ok(code ?? signal ?? -1)),
  );
  return { process: child, output: () => out, stderr: () => err, exited };
}

export function spawnApp(name: AppName, env: NodeJS.ProcessEnv): Child {
  return spawnNode(distPath(appMainPath(name).replace(/^dist\//, '')), [], env);
}

/** Waits for a child to exit, failing (with its output) if it does not within `ms`. */
export async function exitOf(child: Child, ms: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`still running after ${ms} ms; output:\n${child.output()}`)), ms);
  });
  try {
    return await Promise.race([child.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Stops children and waits for them, SIGKILL after a grace period. */
export async function stopAll(children: Child[], graceMs = 5000): Promise<void> {
  await Promise.all(
    children.map(async (c) => {
      if (c.process.exitCode !== null || c.process.signalCode !== null) return;
      c.process.kill('SIGTERM');
      const timer = setTimeout(() => c.process.kill('SIGKILL'), graceMs);
      await c.exited;
      clearTimeout(timer);
    }),
  );
}

/** Polls `probe` until it returns a value other than undefined; fails after `ms` with the last error. */
export async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: not after ${ms} ms (${(last as Error)?.message ?? 'no answer'})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Removes every key under the suite's prefix (cache entries, stats, BullMQ queues). */
export async function deleteKeysWithPrefix(config: AppConfig): Promise<void> {
  const client = createValkeyClient(config.cache);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${config.cache.keyPrefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await client.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
