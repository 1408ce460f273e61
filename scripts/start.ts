import 'reflect-metadata';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { Command, createConcurrently, Logger, LogError, LogOutput } from 'concurrently';
import { AppConfig, configOrExit } from '@app/platform';
import { describeProgress, prepareDatabase } from '../tools/startup/prepare';
import { APPS, appMainPath, connectHost } from '../tools/startup/apps';
import {
  checkDependencies,
  describeCacheEngine,
  checkPorts,
  describeDatabase,
  PreflightFailure,
} from '../tools/startup/preflight';

/**
 * npm start: preflight (config, Valkey, database, free ports), migrate, seed an empty database, then run the
 * five apps with prefixed logs until Ctrl-C.
 *
 * A crashed app is restarted (after 1 s, then 2 s, then 4 s); an app that crashes a fourth time within a
 * minute is broken rather than unlucky, so every app is stopped and `npm start` exits 1.
 */
const ROOT = resolve(__dirname, '..', '..');
const MAX_CRASHES_PER_MINUTE = 3;
const STOP_GRACE_MS = 10_000;
const HEALTH_POLL_MS = 500;
const HEALTH_WARN_AFTER_MS = 60_000;

const tty = process.stdout.isTTY;
const paint = (code: number) => (s: string) => (tty ? `\x1b[${code}m${s}\x1b[0m` : s);
const bold = paint(1);
const red = paint(31);
const green = paint(32);
const dim = paint(2);

function say(line: string) {
  process.stdout.write(`${bold('[start]')} ${line}\n`);
}

function fail(failures: PreflightFailure[]): never {
  for (const f of failures) process.stderr.write(`${red('✖')} ${f.message}\n`);
  process.stderr.write(
    `\nnpm start stopped before starting any app: ${failures.map((f) => f.what).join(', ')} not ready.\n`,
  );
  process.exit(1);
}

async function preflight(config: AppConfig) {
  say(
    `checking Valkey at ${config.cache.host}:${config.cache.port} and the database at ${describeDatabase(config.db)}`,
  );
  const [deps, ports] = await Promise.all([checkDependencies(config), checkPorts(config)]);
  if (deps.length || ports.length) fail([...deps, ...ports]);
  say(`${green('✔')} Valkey and the database answer; ports are free`);
  const engine = describeCacheEngine(config);
  if (engine) say(engine);
}

async function prepare(config: AppConfig) {
  let lastTable = '';
  let lastPrinted = 0;
  await prepareDatabase(
    config,
    (line) => say(`${green('✔')} ${line}`),
    (p) => {
      const line = `  ${describeProgress(p)}`;
      if (tty) {
        // One line rewritten in place, at most ten times a second.
        if (Date.now() - lastPrinted < 100 && p.allDone < p.allTotal) return;
        lastPrinted = Date.now();
        process.stdout.write(`\r${dim(line)}\x1b[K${p.allDone >= p.allTotal ? '\n' : ''}`);
      } else if (p.table !== lastTable) {
        say(dim(line));
      }
      lastTable = p.table;
    },
  );
}

function describeExit(code: string | number): string {
  return typeof code === 'number' ? `exit code ${code}` : `signal ${code}`;
}

/**
 * Runs every app under one concurrently instance (prefixed, coloured logs). Resolves with the exit code for
 * `npm start` once every app has stopped after Ctrl-C/SIGTERM, or after one kept crashing.
 */
function superviseApps(): {
  isStopping: () => boolean;
  stopped: Promise<number>;
  onSignal: (signal: NodeJS.Signals) => void;
} {
  let stopping = false;
  let exitCode = 0;
  let allStopped: (code: number) => void = () => undefined;
  const stopped = new Promise<number>((resolve) => (allStopped = resolve));

  // The core API with only the output controllers: exits are reported (and crashes handled) below, and
  // signals are forwarded here, so that a restarted app is stopped too.
  const logger = new Logger({ prefixFormat: 'name' });
  const width = Math.max(...APPS.map((a) => a.name.length));
  const { commands } = createConcurrently(
    APPS.map((app) => ({
      name: app.name.padEnd(width),
      // exec: the shell becomes node, so signals reach the app itself.
      command: `exec ${shellQuote(process.execPath)} ${shellQuote(appMainPath(app.name, ROOT))}`,
      prefixColor: app.colour,
      env: childLogEnv(),
    })),
    {
      logger,
      outputStream: process.stdout,
      cwd: ROOT,
      controllers: [new LogError({ logger }), new LogOutput({ logger })],
    },
  );
  const nameOf = (c: Command) => c.name.trim();

  const settleWhenAllStopped = () => {
    if (stopping && commands.every((c) => !Command.canKill(c))) allStopped(exitCode);
  };

  // An app that hangs on shutdown is killed after the grace period, so `npm start` always ends.
  const killStragglersAfterGrace = () =>
    setTimeout(() => {
      const left = commands.filter((c) => Command.canKill(c));
      if (!left.length) return;
      say(red(`still running after ${STOP_GRACE_MS / 1000} s, killing: ${left.map(nameOf).join(', ')}`));
      left.forEach((c) => c.kill('SIGKILL'));
    }, STOP_GRACE_MS).unref();

  const stopAll = (code: number, reason: string) => {
    if (stopping) return;
    stopping = true;
    exitCode = code;
    say(reason);
    for (const c of commands) c.kill('SIGTERM');
    killStragglersAfterGrace();
    settleWhenAllStopped();
  };

  // Restart a crashed app with a growing delay; one that crashes too often stops everything.
  const crashes = new Map<string, number[]>();
  for (const command of commands) {
    command.close.subscribe(({ exitCode: code }) => {
      if (stopping) {
        say(dim(`${nameOf(command)} stopped (${describeExit(code)})`));
        return settleWhenAllStopped();
      }
      const now = Date.now();
      const recent = (crashes.get(nameOf(command)) ?? []).filter((t) => now - t < 60_000);
      recent.push(now);
      crashes.set(nameOf(command), recent);
      if (recent.length > MAX_CRASHES_PER_MINUTE) {
        const why = `${nameOf(command)} stopped ${recent.length} times in a minute (last: ${describeExit(code)})`;
        return stopAll(1, red(`✖ ${why}; stopping every app. Its log lines above say why.`));
      }
      const delayMs = 1000 * 2 ** (recent.length - 1);
      say(
        red(
          `✖ ${nameOf(command)} stopped unexpectedly (${describeExit(code)}); restarting it in ${delayMs / 1000} s ` +
            `(${recent.length}/${MAX_CRASHES_PER_MINUTE} in the last minute)`,
        ),
      );
      setTimeout(() => {
        if (!stopping) command.start();
      }, delayMs);
    });
  }

  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // Forwarded to every app (a terminal's Ctrl-C reaches them too); a second one does not wait.
    if (++signals > 1) {
      say(red('second signal: killing every app now'));
      commands.forEach((c) => c.kill('SIGKILL'));
      process.exit(130);
    }
    if (stopping) return;
    // A stop asked for is a clean stop: exit 0 once every app is down.
    stopping = true;
    exitCode = 0;
    say(`${signal}: stopping every app...`);
    commands.forEach((c) => c.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal));
    killStragglersAfterGrace();
    settleWhenAllStopped();
  };

  return { isStopping: () => stopping, stopped, onSignal };
}

/**
 * The apps write JSON lines when their stdout is not a terminal, and under npm start it is a pipe. A person
 * watching a terminal gets readable, coloured lines instead; output to a file or a pipe stays JSON.
 */
function childLogEnv(): NodeJS.ProcessEnv {
  const format = (process.env.LOG_FORMAT ?? 'auto').toLowerCase();
  if (!tty || (format !== 'auto' && format !== '')) return {};
  return { LOG_FORMAT: 'pretty', ...(process.env.NO_COLOR ? {} : { FORCE_COLOR: '1' }) };
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Waits until every app listens (quietly: asking /health earlier would only log failures), then polls the
 * gateway's /health until 200 and prints where to go. Warns once when that takes too long.
 */
async function announceWhenHealthy(config: AppConfig, isStopping: () => boolean) {
  const host = connectHost(config.gateway.host);
  const base = `http://${host === '127.0.0.1' ? 'localhost' : host}:${config.gateway.port}`;
  const started = Date.now();
  let warned = false;
  let lastProblem = '';
  const sleep = () => new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
  const warnIfSlow = () => {
    if (warned || Date.now() - started < HEALTH_WARN_AFTER_MS) return;
    warned = true;
    say(red(`not healthy after ${HEALTH_WARN_AFTER_MS / 1000} s: ${lastProblem}`));
  };

  for (const app of APPS) {
    const port = app.endpoint(config).port;
    while (!isStopping() && !(await accepts(port, app.health === 'http' ? host : '127.0.0.1'))) {
      lastProblem = `${app.name} is not listening on port ${port} yet`;
      warnIfSlow();
      await sleep();
    }
  }
  while (!isStopping()) {
    try {
      const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(3000) });
      if (res.ok) {
        say(green(bold('✔ everything is up')));
        say(`  Dashboard  ${bold(`${base}/`)}`);
        say(`  API docs   ${base}/docs`);
        say(`  Queues     ${base}/queues  (user ${config.admin.user}, password: ADMIN_PASSWORD)`);
        say(`  Health     ${base}/health`);
        say(`  Metrics    ${base}/metrics  (Prometheus; each service on its *_METRICS_PORT)`);
        say(dim('  Ctrl-C stops every app.'));
        return;
      }
      lastProblem = `GET /health answered ${res.status}: ${await res.text()}`;
    } catch (e) {
      lastProblem = `GET /health failed: ${(e as Error).message}`;
    }
    warnIfSlow();
    await sleep();
  }
}

async function main() {
  // Handlers from the very start: without one, a signal kills node outright, leaving apps it had just spawned.
  let phase = 'starting';
  let onSignal: (signal: NodeJS.Signals) => void = (signal) => {
    say(red(`${signal} while ${phase}; no app was started.`));
    process.exit(130);
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, (s: NodeJS.Signals) => onSignal(s));

  const config = configOrExit();
  phase = 'checking dependencies';
  await preflight(config);
  phase = `preparing ${config.db.name} (an interrupted generation leaves part of a dataset: \`npm run db:seed -- --reset\` starts it over)`;
  await prepare(config);
  say(`starting ${APPS.map((a) => a.name).join(', ')}`);
  const supervisor = superviseApps();
  onSignal = supervisor.onSignal;
  void announceWhenHealthy(config, supervisor.isStopping);
  process.exit(await supervisor.stopped);
}

main().catch((e) => {
  process.stderr.write(`${red('✖')} npm start failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
