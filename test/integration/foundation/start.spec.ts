import { execFileSync } from 'node:child_process';
import { AppConfig, dropDatabase } from '@app/platform';
import { isDatabaseEmpty } from '../../../tools/seed/seed';
import { TEST_ENGINES } from '../../support/test-env';
import {
  Child,
  configWithFreePorts,
  deleteKeysWithPrefix,
  distPath,
  envFor,
  exitOf,
  spawnCommand,
  spawnNode,
  waitFor,
} from './support';

/**
 * `npm start` end to end: preflight, migrate, generate a dataset into an empty database, run the five apps,
 * restart one that dies, announce the dashboard, and stop everything on Ctrl-C.
 */
const UP_MS = 150_000;

function childrenOf(pid: number): Array<{ pid: number; args: string }> {
  try {
    return execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => {
        const [, p, args] = line.trim().match(/^(\d+)\s+(.*)$/)!;
        return { pid: Number(p), args };
      });
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** Every process below `pid` (npm -> node start.js -> the apps), depth first. */
function descendantsOf(pid: number): number[] {
  return childrenOf(pid).flatMap((c) => [c.pid, ...descendantsOf(c.pid)]);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe.each(TEST_ENGINES)('npm start on %s', (engine) => {
  let config: AppConfig;
  let start: Child;

  beforeAll(async () => {
    config = await configWithFreePorts(engine, { SEED_SCALE: 'tiny' });
    start = spawnNode(distPath('scripts/start.js'), [], envFor(config, { SEED_SCALE: 'tiny' }));
  });

  afterAll(async () => {
    if (start.process.exitCode === null && start.process.signalCode === null) {
      for (const c of childrenOf(start.process.pid!)) process.kill(c.pid, 'SIGKILL');
      start.process.kill('SIGKILL');
    }
    await deleteKeysWithPrefix(config);
    await dropDatabase(config.db);
  }, 30_000);

  const waitForOutput = (text: string, ms: number) =>
    waitFor(async () => (start.output().includes(text) ? true : undefined), ms, `output "${text}"`).catch(
      (e) => {
        throw new Error(`${e.message}\n--- output:\n${start.output()}`);
      },
    );

  it(
    'migrates, generates the dataset into the empty database, and announces the dashboard once healthy',
    async () => {
      await waitForOutput('everything is up', UP_MS);
      const out = start.output();
      expect(out).toContain(`${config.db.name} is empty: generating the "tiny" dataset`);
      expect(out).toContain(`Dashboard  http://localhost:${config.gateway.port}/`);
      expect(await isDatabaseEmpty(config.db)).toBe(false);
      const res = await fetch(`http://127.0.0.1:${config.gateway.port}/health`);
      expect(res.status).toBe(200);
      // Every app runs as a child of the supervisor, with its output prefixed by its name.
      const apps = childrenOf(start.process.pid!).map((c) => c.args);
      for (const name of ['gateway', 'query-service', 'writer-service', 'weather-service', 'cache-warmer']) {
        expect(apps.some((a) => a.includes(`dist/apps/${name}/src/main.js`))).toBe(true);
      }
    },
    UP_MS + 5000,
  );

  it('restarts an app that dies and reports it', async () => {
    const victim = childrenOf(start.process.pid!).find((c) => c.args.includes('dist/apps/query-service/'))!;
    process.kill(victim.pid, 'SIGKILL');
    await waitForOutput('query-service stopped unexpectedly (signal SIGKILL); restarting it in 1 s', 10_000);
    const restarted = await waitFor(
      async () => childrenOf(start.process.pid!).find((c) => c.args.includes('dist/apps/query-service/')),
      15_000,
      'query-service restarted',
    );
    expect(restarted.pid).not.toBe(victim.pid);
    const healthy = await waitFor(
      async () => {
        const res = await fetch(`http://127.0.0.1:${config.gateway.port}/health`);
        return res.status === 200 ? res.status : undefined;
      },
      30_000,
      'health back to 200',
    );
    expect(healthy).toBe(200);
  }, 60_000);

  it('Ctrl-C (SIGINT) stops every app and exits 0', async () => {
    const apps = childrenOf(start.process.pid!);
    expect(apps).toHaveLength(5);
    start.process.kill('SIGINT');
    expect(await exitOf(start, 20_000)).toBe(0);
    expect(start.output()).toContain('SIGINT: stopping every app');
    expect(apps.filter((a) => alive(a.pid))).toEqual([]);
  }, 30_000);

  it('a second start finds the data and generates nothing', async () => {
    const again = spawnNode(distPath('scripts/start.js'), [], envFor(config, { SEED_SCALE: 'tiny' }));
    try {
      await waitFor(
        async () => (again.output().includes('starting query-service') ? true : undefined),
        30_000,
        'apps starting',
      );
      expect(again.output()).toContain(`${config.db.name} already has data; not generating any`);
    } finally {
      again.process.kill('SIGINT');
      expect(await exitOf(again, 20_000)).toBe(0);
    }
  }, 60_000);
});

/**
 * `npm start` stopped the way an IDE, a process manager or `timeout` stops it: a signal to the npm process itself,
 * not to the supervisor. (The signal path does not depend on the database engine; MariaDB only.)
 */
describe('npm start signalled through npm', () => {
  let config: AppConfig;

  beforeAll(async () => {
    config = await configWithFreePorts('mysql', { SEED_SCALE: 'tiny' });
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(config);
    await dropDatabase(config.db);
  }, 30_000);

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(
      `${signal} to the npm process stops every app and exits 0`,
      async () => {
        const npm = spawnCommand('npm', ['start', '--silent'], envFor(config, { SEED_SCALE: 'tiny' }));
        try {
          await waitFor(
            async () => (npm.output().includes('everything is up') ? true : undefined),
            UP_MS,
            'everything is up',
          ).catch((e: Error) => {
            throw new Error(`${e.message}\n--- output:\n${npm.output()}`);
          });
          const below = descendantsOf(npm.process.pid!);
          expect(below.length).toBeGreaterThanOrEqual(6); // the supervisor and five apps
          npm.process.kill(signal);
          expect(await exitOf(npm, 60_000)).toBe(0);
          expect(npm.output()).toContain(`${signal}: stopping every app`);
          expect(below.filter(alive)).toEqual([]);
        } finally {
          for (const pid of descendantsOf(npm.process.pid!)) process.kill(pid, 'SIGKILL');
          if (npm.process.exitCode === null) npm.process.kill('SIGKILL');
        }
      },
      UP_MS + 90_000,
    );
  }
});
