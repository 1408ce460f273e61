import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ROOT } from '../foundation/support';

/**
 * scripts/build-if-stale.js (what `npm run demo:*` and `bench:*` run first) on a project of its own: it builds
 * when a source changed, and only then. The "build" appends a line to builds.txt, so the test counts builds.
 */
describe('build-if-stale', () => {
  const SCRIPT = resolve(ROOT, 'scripts/build-if-stale.js');
  let dir: string;

  const run = (command = "node -e \"require('fs').appendFileSync('builds.txt', 'built\\n')\"") =>
    spawnSync(process.execPath, [SCRIPT], {
      env: { ...process.env, BUILD_IF_STALE_ROOT: dir, BUILD_IF_STALE_COMMAND: command },
      encoding: 'utf8',
    });
  const builds = () => {
    try {
      return readFileSync(join(dir, 'builds.txt'), 'utf8').split('\n').filter(Boolean).length;
    } catch {
      return 0;
    }
  };
  const write = (path: string, text: string) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cmiyc-build-if-stale-'));
    write('apps/a/src/main.ts', 'export const a = 1;\n');
    write('libs/b/src/index.ts', 'export const b = 2;\n');
    write('package.json', '{}\n');
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the first time, then not again while nothing changed', () => {
    expect(run().status).toBe(0);
    expect(builds()).toBe(1);
    for (let i = 0; i < 3; i++) {
      const again = run();
      expect(again.status).toBe(0);
      expect(again.stderr).toContain('no rebuild');
    }
    expect(builds()).toBe(1);
  });

  it.each([
    ['an edited source', () => write('apps/a/src/main.ts', 'export const a = 3;\n')],
    ['a new source', () => write('tools/c.ts', 'export {};\n')],
    ['a removed source', () => rmSync(join(dir, 'libs/b/src/index.ts'))],
    [
      'a renamed source',
      () => renameSync(join(dir, 'libs/b/src/index.ts'), join(dir, 'libs/b/src/other.ts')),
    ],
    ['changed dependencies', () => write('package.json', '{"dependencies":{}}\n')],
    [
      'a source with an older modification time (a branch checked out)',
      () => utimesSync(join(dir, 'apps/a/src/main.ts'), new Date(0), new Date(0)),
    ],
  ])('builds again after %s', (_what, change) => {
    run();
    change();
    expect(run().status).toBe(0);
    expect(builds()).toBe(2);
    run();
    expect(builds()).toBe(2);
  });

  it('a build that fails is not remembered: the next run builds again', () => {
    const failing = run("node -e \"require('fs').appendFileSync('builds.txt', 'x\\n'); process.exit(3)\"");
    expect(failing.status).toBe(3);
    expect(run().status).toBe(0);
    expect(builds()).toBe(2);
    run();
    expect(builds()).toBe(2);
  });

  it('a deleted dist/ builds again', () => {
    run();
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    run();
    expect(builds()).toBe(2);
  });

  it('is what every demo and bench script runs first (the apps still build with npm run build)', () => {
    const scripts = (
      JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    const runners = Object.entries(scripts).filter(([name]) => /^(demo|bench):/.test(name));
    expect(runners.length).toBeGreaterThanOrEqual(10);
    for (const [name, command] of runners)
      expect({ name, command }).toEqual({
        name,
        command: expect.stringMatching(/^node scripts\/build-if-stale\.js && node dist\//),
      });
  });
});
