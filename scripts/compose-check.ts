import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { asPromQL, dashboardQueries, parseExposition, valueOf } from '../tools/observability/exposition';

/**
 * npm run test:compose: runs docker-compose.yml for real on a Docker engine (not part of `npm test`) and checks
 * it end to end, for MariaDB and for PostgreSQL (the override file):
 *   build -> up (with the `observability` profile) -> every service healthy -> GET /health -> a flight read twice
 *   (database, then cache) with a request id -> /metrics counts them -> Prometheus scrapes every app and every
 *   dashboard query runs -> Grafana has the dashboard -> the apps' logs are JSON lines carrying the request id in
 *   the gateway and in the query-service -> the health probes' cost -> down -v.
 * Its own compose project name and host ports, so a stack of yours is left alone. Output (logs, timeline,
 * summary) in test-artifacts/compose-check/<database>-<time>/.
 */
const USAGE = `
npm run test:compose -- [--db mariadb|postgres|both] [--without SERVICE]... [--no-observability] [--keep]
                        [--timeout-s 1500]

  --db              which database setup (default both, one after the other)
  --without         leave a service of the observability profile out (e.g. grafana, where its image is missing)
  --no-observability  without Prometheus and Grafana
  --keep            leave the stack running (stop it with the printed command)
  --timeout-s       how long the stack may take to become healthy (default 1500)

Needs a Docker engine (DOCKER_HOST) with Compose v2.24+. Host ports, below Linux's ephemeral range (32768+) so
a connection of this machine cannot be holding one: CHECK_GATEWAY_PORT (23000), CHECK_PROMETHEUS_PORT (29090),
CHECK_GRAFANA_PORT (23300), CHECK_MARIADB_PORT (23306), CHECK_POSTGRES_PORT (25432), CHECK_VALKEY_CACHE_PORT
(26379), CHECK_VALKEY_QUEUE_PORT (26380).
`;

const ROOT = resolve(__dirname, '..', '..');
const PROJECT = 'cmiyc-compose-check';
const APPS = ['query-service', 'writer-service', 'weather-service', 'cache-warmer', 'gateway'];
const REQUEST_ID = `compose-check-${process.pid}`;

type Db = 'mariadb' | 'postgres';

interface Run {
  db: Db;
  dir: string;
  compose: string[];
  env: NodeJS.ProcessEnv;
  services: string[] | undefined;
  observability: string[];
  lines: string[];
  failures: string[];
}

function docker(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: { log?: string; quiet?: boolean } = {},
): Promise<{ code: number; out: string }> {
  return new Promise((ok) => {
    const child = spawn('docker', args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (e) => ok({ code: 127, out: `docker: ${e.message}` }));
    child.on('close', (code) => {
      if (options.log) writeFileSync(options.log, out);
      ok({ code: code ?? 1, out });
    });
  });
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function say(run: Run, line: string) {
  run.lines.push(line);
  process.stdout.write(`[${run.db}] ${line}\n`);
}

function check(run: Run, ok: boolean, what: string) {
  say(run, `${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) run.failures.push(what);
}

async function get(url: string, headers: Record<string, string> = {}, timeoutMs = 20_000) {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

interface PsEntry {
  Service: string;
  State: string;
  Health?: string;
  ExitCode?: number;
}

async function ps(run: Run): Promise<PsEntry[]> {
  const { out } = await docker([...run.compose, 'ps', '-a', '--format', 'json'], run.env, { quiet: true });
  const text = out.trim();
  if (!text) return [];
  // Compose prints one JSON object a line (v2.21+) or one array (older).
  return text.startsWith('[')
    ? (JSON.parse(text) as PsEntry[])
    : text
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as PsEntry);
}

/** up -d, then polls until every long-running service is healthy (or running, without a health check). */
async function upUntilHealthy(run: Run, timeoutMs: number): Promise<boolean> {
  const started = Date.now();
  const up = docker([...run.compose, 'up', '-d', ...(run.services ?? [])], run.env, {
    log: join(run.dir, 'up.log'),
  });
  let upDone: { code: number } | undefined;
  void up.then((r) => (upDone = r));
  const timeline: string[] = [];
  let previous = '';
  for (;;) {
    const entries = await ps(run);
    const state = entries
      .map(
        (e) =>
          `${e.Service}=${e.State}${e.Health ? `/${e.Health}` : ''}${e.State === 'exited' ? `(${e.ExitCode})` : ''}`,
      )
      .sort()
      .join(' ');
    if (state !== previous) {
      timeline.push(`${seconds(Date.now() - started)} ${state}`);
      previous = state;
    }
    const longRunning = entries.filter((e) => e.Service !== 'seed');
    const expected = run.services ? run.services.length : 0;
    const ready =
      longRunning.length > 0 &&
      (expected === 0 || longRunning.length >= expected - 1) &&
      longRunning.every(
        (e) => e.State === 'running' && (e.Health === '' || e.Health === undefined || e.Health === 'healthy'),
      );
    if (ready && upDone) break;
    if (upDone && upDone.code !== 0 && !ready) {
      timeline.push(`${seconds(Date.now() - started)} compose up exited ${upDone.code}`);
      writeFileSync(join(run.dir, 'timeline.txt'), timeline.join('\n') + '\n');
      say(run, `compose up failed (exit ${upDone.code}); see ${join(run.dir, 'up.log')}`);
      return false;
    }
    if (Date.now() - started > timeoutMs) {
      timeline.push(`${seconds(Date.now() - started)} TIMEOUT`);
      writeFileSync(join(run.dir, 'timeline.txt'), timeline.join('\n') + '\n');
      return false;
    }
    await sleep(2000);
  }
  writeFileSync(join(run.dir, 'timeline.txt'), timeline.join('\n') + '\n');
  say(run, `every service healthy ${seconds(Date.now() - started)} after 'up'`);
  return true;
}

/** How long each app's health probes took (Docker keeps the last five), from `docker inspect`. */
async function probeCosts(run: Run): Promise<void> {
  const { out } = await docker([...run.compose, 'ps', '-q', ...APPS], run.env);
  const ids = out.split('\n').filter(Boolean);
  if (ids.length === 0) return;
  const { out: inspected } = await docker(['inspect', ...ids], run.env);
  const containers = JSON.parse(inspected) as Array<{
    Name: string;
    State: { Health?: { Log: Array<{ Start: string; End: string; ExitCode: number }> } };
  }>;
  for (const c of containers) {
    const log = c.State.Health?.Log ?? [];
    const ms = log.map((l) => Date.parse(l.End) - Date.parse(l.Start)).sort((a, b) => a - b);
    const failed = log.filter((l) => l.ExitCode !== 0).length;
    say(
      run,
      `probe ${c.Name.replace(/^\//, '')}: ${log.length} recent, median ${ms[Math.floor(ms.length / 2)] ?? '?'} ms, ` +
        `max ${ms[ms.length - 1] ?? '?'} ms, ${failed} failed`,
    );
  }
}

async function checks(run: Run, ports: { gateway: number; prometheus: number; grafana: number }) {
  const base = `http://127.0.0.1:${ports.gateway}`;
  const health = await get(`${base}/health`);
  check(run, health.status === 200, `GET /health -> ${health.status}`);

  const sources: string[] = [];
  for (const n of [1, 2]) {
    const res = await get(`${base}/api/flights/115`, { 'x-request-id': `${REQUEST_ID}-${n}` });
    const source =
      (JSON.parse(res.text) as { meta?: { source?: string } }).meta?.source ?? `HTTP ${res.status}`;
    sources.push(source);
    check(
      run,
      res.headers.get('x-request-id') === `${REQUEST_ID}-${n}`,
      `GET /api/flights/115 #${n} answers with its x-request-id`,
    );
  }
  check(run, sources.join(',') === 'database,cache', `flight 115 read twice: ${sources.join(', ')}`);

  // The query-service adds its miss to the shared statistics within a moment (they are flushed every 250 ms).
  let hits = 0;
  let misses = 0;
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await sleep(500)) {
    const metrics = parseExposition((await get(`${base}/metrics`)).text);
    hits = ['remote', 'near']
      .map((source) => valueOf(metrics, 'cmiyc_cache_hits_total', { query_class: 'flight', source }) ?? 0)
      .reduce((a, b) => a + b, 0);
    misses = valueOf(metrics, 'cmiyc_cache_misses_total', { query_class: 'flight' }) ?? 0;
    if (hits >= 1 && misses >= 1) break;
  }
  check(run, hits >= 1 && misses >= 1, `gateway /metrics: flight hits ${hits}, misses ${misses}`);

  if (run.observability.includes('prometheus')) await prometheusChecks(run, ports.prometheus);
  if (run.observability.includes('grafana')) {
    const g = await get(`http://127.0.0.1:${ports.grafana}/api/search?query=Cache%20Me%20If%20You%20Can`);
    check(
      run,
      g.status === 200 && g.text.includes('cache-me-if-you-can'),
      `Grafana has the dashboard (${g.status})`,
    );
  }
  await logChecks(run);
}

async function prometheusChecks(run: Run, port: number) {
  const api = `http://127.0.0.1:${port}/api/v1`;
  const deadline = Date.now() + 120_000;
  let health: Record<string, string> = {};
  // Scrapes every 15 s: wait for one of every target, and for the flight reads to be in a scrape.
  for (;;) {
    const targets = JSON.parse((await get(`${api}/targets`)).text) as {
      data: { activeTargets: Array<{ labels: { job: string }; health: string; lastError: string }> };
    };
    health = Object.fromEntries(targets.data.activeTargets.map((t) => [t.labels.job, t.health]));
    const flight = JSON.parse(
      (await get(`${api}/query?query=${encodeURIComponent('cmiyc_cache_hits_total{query_class="flight"}')}`))
        .text,
    ) as { data: { result: unknown[] } };
    if ((APPS.every((a) => health[a] === 'up') && flight.data.result.length > 0) || Date.now() > deadline)
      break;
    await sleep(3000);
  }
  check(
    run,
    APPS.every((a) => health[a] === 'up'),
    `Prometheus scrapes every app: ${APPS.map((a) => `${a}=${health[a] ?? 'missing'}`).join(' ')}`,
  );
  const names = new Set(
    (JSON.parse((await get(`${api}/label/__name__/values`)).text) as { data: string[] }).data,
  );
  const queries = dashboardQueries(ROOT);
  let failed = 0;
  for (const q of queries) {
    const res = await get(`${api}/query?query=${encodeURIComponent(asPromQL(q.expr))}`);
    if (res.status !== 200) {
      failed++;
      say(run, `     dashboard query failed (${q.panel}): ${res.text.slice(0, 200)}`);
    }
  }
  check(
    run,
    failed === 0,
    `every dashboard query runs in Prometheus (${queries.length} queries, ${failed} failed)`,
  );
  check(
    run,
    names.has('cmiyc_cache_hits_total') && names.has('cmiyc_rpc_duration_seconds_count'),
    `Prometheus holds ${names.size} metric names`,
  );
}

async function logChecks(run: Run) {
  await sleep(1000);
  // What each app wrote, as Docker stored it: `docker logs`, not `docker compose logs`, which (Compose 2.26) puts
  // an erase-line escape before every line it relays.
  let out = '';
  for (const app of APPS) {
    const { out: id } = await docker([...run.compose, 'ps', '-q', app], run.env);
    if (id.trim()) out += (await docker(['logs', id.trim()], run.env)).out;
  }
  writeFileSync(join(run.dir, 'app-logs.txt'), out);
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  const parse = (l: string): { app?: string } | undefined => {
    try {
      const v: unknown = JSON.parse(l);
      return v !== null && typeof v === 'object' ? (v as { app?: string }) : undefined;
    } catch {
      return undefined;
    }
  };
  const notJson = lines.filter((l) => parse(l) === undefined);
  check(
    run,
    lines.length > 0 && notJson.length === 0,
    `app logs: ${lines.length} lines, ${notJson.length} not JSON`,
  );
  if (notJson.length) say(run, `     e.g. ${notJson.slice(0, 3).join(' | ').slice(0, 300)}`);
  check(run, !out.includes('\u001b['), 'app logs carry no ANSI colour codes');
  const withId = lines
    .filter((l) => l.includes(`"requestId":"${REQUEST_ID}-1"`))
    .map((l) => parse(l)?.app ?? '?');
  const apps = [...new Set(withId)].sort();
  check(
    run,
    apps.includes('gateway') && apps.includes('query-service'),
    `request ${REQUEST_ID}-1 in the logs of: ${apps.join(', ') || 'none'}`,
  );
}

async function runOne(
  db: Db,
  opts: { without: string[]; observability: boolean; keep: boolean; timeoutS: number },
) {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
  const dir = join(ROOT, 'test-artifacts', 'compose-check', `${db}-${stamp}`);
  mkdirSync(dir, { recursive: true });
  const ports = {
    gateway: Number(process.env.CHECK_GATEWAY_PORT ?? 23000),
    prometheus: Number(process.env.CHECK_PROMETHEUS_PORT ?? 29090),
    grafana: Number(process.env.CHECK_GRAFANA_PORT ?? 23300),
  };
  // Debug logs for the gateway and the query-service: their per-request lines carry the request id.
  const override = join(dir, 'compose.check.yml');
  writeFileSync(
    override,
    'services:\n' +
      ['gateway', 'query-service'].map((s) => `  ${s}:\n    environment:\n      LOG_LEVEL: debug\n`).join(''),
  );
  // --ansi never: compose itself would otherwise put terminal escapes (erase line) before the lines it relays.
  const compose = ['compose', '--ansi', 'never', '-p', PROJECT, '-f', 'docker-compose.yml'];
  if (db === 'postgres') compose.push('-f', 'docker-compose.postgres.yml', '--profile', 'postgres');
  compose.push('-f', override);
  const observability = opts.observability
    ? ['prometheus', 'grafana'].filter((s) => !opts.without.includes(s))
    : [];
  if (observability.length) compose.push('--profile', 'observability');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    COMPOSE_FILE: undefined,
    COMPOSE_PROFILES: undefined,
    GATEWAY_HOST_PORT: String(ports.gateway),
    PROMETHEUS_HOST_PORT: String(ports.prometheus),
    GRAFANA_HOST_PORT: String(ports.grafana),
    MARIADB_HOST_PORT: process.env.CHECK_MARIADB_PORT ?? '23306',
    POSTGRES_HOST_PORT: process.env.CHECK_POSTGRES_PORT ?? '25432',
    VALKEY_CACHE_HOST_PORT: process.env.CHECK_VALKEY_CACHE_PORT ?? '26379',
    VALKEY_QUEUE_HOST_PORT: process.env.CHECK_VALKEY_QUEUE_PORT ?? '26380',
  };
  const run: Run = { db, dir, compose, env, services: undefined, observability, lines: [], failures: [] };
  if (opts.without.length && opts.observability) {
    // Name what to start: every service of the chosen setup except those left out.
    const { out } = await docker([...compose, 'config', '--services'], env);
    run.services = out.split('\n').filter((s) => s && !opts.without.includes(s));
  }
  say(
    run,
    `output in ${dir}; loadavg ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );

  let t = Date.now();
  const build = await docker([...compose, 'build'], env, { log: join(dir, 'build.log') });
  check(run, build.code === 0, `build (${seconds(Date.now() - t)})`);
  check(
    run,
    !/EBADENGINE|Unsupported engine/.test(build.out),
    'no engine warnings while installing in the image',
  );
  if (build.code === 0) {
    t = Date.now();
    const healthy = await upUntilHealthy(run, opts.timeoutS * 1000);
    check(run, healthy, `up -> every service healthy (${seconds(Date.now() - t)})`);
    if (healthy) {
      try {
        await checks(run, ports);
      } catch (e) {
        check(run, false, `checks: ${(e as Error).message}`);
      }
    }
    await probeCosts(run).catch((e: Error) => say(run, `probe costs: ${e.message}`));
    await docker([...compose, 'ps', '-a'], env, { log: join(dir, 'ps.txt') });
    await docker([...compose, 'logs', '--no-color', '--timestamps'], env, { log: join(dir, 'logs.txt') });
  }
  if (opts.keep) say(run, `left running: docker ${compose.join(' ')} down -v`);
  else {
    const down = await docker([...compose, 'down', '-v', '--remove-orphans'], env, {
      log: join(dir, 'down.log'),
    });
    check(run, down.code === 0, 'down -v');
  }
  say(run, run.failures.length ? `FAILED: ${run.failures.join('; ')}` : 'PASSED');
  writeFileSync(join(dir, 'summary.txt'), run.lines.join('\n') + '\n');
  return run.failures.length === 0;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'both' },
      without: { type: 'string', multiple: true, default: [] },
      'no-observability': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      'timeout-s': { type: 'string', default: '1500' },
      help: { type: 'boolean', default: false },
    },
  });
  const dbs: Db[] = values.db === 'both' ? ['mariadb', 'postgres'] : [values.db as Db];
  if (values.help || !dbs.every((d) => d === 'mariadb' || d === 'postgres')) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  const info = await docker(['info', '--format', '{{.ServerVersion}}'], process.env);
  if (info.code !== 0) {
    process.stderr.write(
      `test:compose needs a Docker engine, and none answers (DOCKER_HOST=${process.env.DOCKER_HOST ?? 'default'}):\n${info.out}`,
    );
    return 1;
  }
  const version = await docker(['compose', 'version', '--short'], process.env);
  process.stdout.write(`Docker engine ${info.out.trim()}, Compose ${version.out.trim()}\n`);
  let ok = true;
  for (const db of dbs) {
    ok =
      (await runOne(db, {
        without: values.without as string[],
        observability: !values['no-observability'],
        keep: values.keep as boolean,
        timeoutS: Number(values['timeout-s']),
      })) && ok;
  }
  return ok ? 0 : 1;
}

void main().then((code) => process.exit(code));
