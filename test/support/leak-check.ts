import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { oneShotValkey } from './one-shot-valkey';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import {
  TEST_DB_PREFIX,
  TEST_KEY_PREFIX,
  TEST_RUN_ENV,
  childRecordFile,
  processStartTime,
  testRunId,
} from './test-run';

/**
 * Global teardown of the integration project: the run fails if anything it started outlives it.
 * - processes: any process whose environment carries this run's id (TEST_RUN_ENV, inherited from the workers) or
 *   one of its key prefixes / database names (children started with an environment of their own), and any
 *   process the test helpers recorded as spawned (childRecordFile: redis-server overwrites its environment);
 * - keys: any `cmiyc-test:<run>*` key on the test Redis;
 * - databases: any `cmiyc_test_<run>*` database on MariaDB or PostgreSQL.
 * What it finds is listed, then removed (killed, deleted, dropped), so one failed run does not spoil the next.
 * Leftovers of other runs (`cmiyc-test:*` without this run's id: another checkout's run, or an old one) are
 * reported as a warning only: a run next door may still be using them.
 * Plain node modules only: jest does not apply moduleNameMapper to global hooks.
 */
const PROCESS_GRACE_MS = 5000;

export default async function leakCheck(): Promise<void> {
  const run = testRunId();
  if (!run) return;
  const problems: string[] = [];
  const warnings: string[] = [];

  const processes = await survivingProcesses(run);
  if (processes.length > 0) {
    problems.push(
      `${processes.length} process(es) started by the run are still alive (killed now):\n` +
        processes.map((p) => `    pid ${p.pid}: ${p.args}`).join('\n'),
    );
    for (const p of processes) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
    }
  }

  await check('Redis keys', problems, warnings, () => leftoverKeys(run, warnings));
  await check('MariaDB databases', problems, warnings, () => leftoverDatabases('mysql', run, warnings));
  await check('PostgreSQL databases', problems, warnings, () => leftoverDatabases('postgres', run, warnings));

  rmSync(childRecordFile(run), { force: true });
  if (warnings.length > 0)
    console.warn(`\nleak check (run ${run}), not this run's:\n  ${warnings.join('\n  ')}`);
  if (problems.length > 0) {
    throw new Error(`leak check (run ${run}) failed: the run left behind\n  ${problems.join('\n  ')}`);
  }
  console.log(`\nleak check (run ${run}): no process, key or database left behind`);
}

async function check(
  what: string,
  problems: string[],
  warnings: string[],
  find: () => Promise<string | null>,
): Promise<void> {
  try {
    const problem = await find();
    if (problem) problems.push(problem);
  } catch (e) {
    warnings.push(`could not check ${what}: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Processes

interface Proc {
  pid: number;
  args: string;
}

/** This run's processes, after giving ones that are on their way out a moment to exit. */
async function survivingProcesses(run: string): Promise<Proc[]> {
  const deadline = Date.now() + PROCESS_GRACE_MS;
  for (;;) {
    const found = runProcesses(run);
    if (found.length === 0 || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function runProcesses(run: string): Proc[] {
  const found = new Map<number, Proc>();
  for (const p of [...markedProcesses(run), ...recordedProcesses(run)]) found.set(p.pid, p);
  return [...found.values()];
}

/** Processes the helpers recorded that still run (same pid and start time: not a later process). */
function recordedProcesses(run: string): Proc[] {
  const file = childRecordFile(run);
  if (!existsSync(file)) return [];
  const found: Proc[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [pid, started, ...what] = line.split(' ');
    if (!pid || processStartTime(Number(pid)) !== started) continue;
    try {
      // A zombie (exited, not yet reaped by its parent) is not running.
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      if (stat[stat.lastIndexOf(')') + 2] !== 'Z') found.push({ pid: Number(pid), args: what.join(' ') });
    } catch {
      // Exited meanwhile.
    }
  }
  return found;
}

function markedProcesses(run: string): Proc[] {
  const markers = [
    `${TEST_RUN_ENV}=${run}`,
    `CACHE_KEY_PREFIX=${TEST_KEY_PREFIX}${run}`,
    `DB_NAME=${TEST_DB_PREFIX}${run}`,
  ];
  const found: Proc[] = [];
  const ancestors = ancestorsOf(process.pid);
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return []; // not Linux: nothing to look at
  }
  for (const dir of pids) {
    const pid = Number(dir);
    if (ancestors.has(pid)) continue;
    try {
      const environ = readFileSync(`/proc/${dir}/environ`, 'latin1').split('\0');
      if (!environ.some((v) => markers.some((m) => v.startsWith(m)))) continue;
      const args = readFileSync(`/proc/${dir}/cmdline`, 'latin1').split('\0').join(' ').trim();
      // A jest worker still shutting down is jest's business (its own warning covers it).
      if (/jest-worker|processChild/.test(args)) continue;
      found.push({ pid, args });
    } catch {
      // Exited meanwhile, or not ours to read.
    }
  }
  return found;
}

/** The process and its parents up to init (never suspects: they started the run). */
function ancestorsOf(pid: number): Set<number> {
  const chain = new Set<number>();
  while (pid > 1 && !chain.has(pid)) {
    chain.add(pid);
    try {
      // "pid (comm) state ppid ...": comm may contain spaces and parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return chain;
}

// ---------------------------------------------------------------------------------------------------------------
// Redis keys

async function leftoverKeys(run: string, warnings: string[]): Promise<string | null> {
  const client = oneShotValkey({
    host: process.env.TEST_REDIS_HOST ?? '127.0.0.1',
    port: Number(process.env.TEST_REDIS_PORT ?? 6379),
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const ours: string[] = [];
    const others = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${TEST_KEY_PREFIX}*`, 'COUNT', 5000);
      cursor = next;
      for (const key of keys) {
        if (key.startsWith(`${TEST_KEY_PREFIX}${run}`)) ours.push(key);
        else {
          const prefix = key.slice(0, key.indexOf(':', TEST_KEY_PREFIX.length) + 1) || key;
          others.set(prefix, (others.get(prefix) ?? 0) + 1);
        }
      }
    } while (cursor !== '0');
    if (others.size > 0) {
      warnings.push(
        `${[...others.values()].reduce((a, b) => a + b, 0)} key(s) of other runs: ` +
          [...others].map(([p, n]) => `${p}* (${n})`).join(', '),
      );
    }
    if (ours.length === 0) return null;
    for (let i = 0; i < ours.length; i += 1000) await client.unlink(...ours.slice(i, i + 1000));
    return `${ours.length} Redis key(s) (deleted now), by family:\n${keyFamilies(ours)}`;
  } finally {
    if (client.status !== 'end') client.disconnect();
  }
}

/** Keys grouped by what follows the suite prefix, with wildcards for ids: "stats:*", "bull:events:meta"... */
function keyFamilies(keys: string[]): string {
  const families = new Map<string, { count: number; example: string }>();
  for (const key of keys) {
    const rest = key.slice(key.indexOf(':', TEST_KEY_PREFIX.length) + 1);
    const family = rest.replace(/[0-9a-f-]{6,}|\d+/gi, '*');
    const f = families.get(family) ?? { count: 0, example: key };
    f.count++;
    families.set(family, f);
  }
  return [...families]
    .sort((a, b) => b[1].count - a[1].count)
    .map(([family, f]) => `    ${family} x${f.count} (e.g. ${f.example})`)
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Databases

async function leftoverDatabases(
  engine: 'mysql' | 'postgres',
  run: string,
  warnings: string[],
): Promise<string | null> {
  const host = process.env.TEST_DB_HOST ?? '127.0.0.1';
  const mine = (name: string) => name.startsWith(`${TEST_DB_PREFIX}${run}`);
  const others = (all: string[]) => {
    const names = all.filter((n) => n.startsWith(TEST_DB_PREFIX) && !mine(n));
    if (names.length) warnings.push(`${engine} databases of other runs: ${names.join(', ')}`);
  };
  if (engine === 'mysql') {
    const conn = await createConnection({
      host,
      port: 3306,
      user: process.env.TEST_MYSQL_USER ?? 'root',
      connectTimeout: 3000,
    });
    try {
      const [rows] = await conn.query('SHOW DATABASES');
      const all = (rows as Array<Record<string, string>>).map((r) => Object.values(r)[0]);
      others(all);
      const names = all.filter(mine);
      for (const name of names) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      return names.length ? `${names.length} MariaDB database(s) (dropped now): ${names.join(', ')}` : null;
    } finally {
      await conn.end();
    }
  }
  const client = new Client({
    host,
    port: 5432,
    user: process.env.TEST_PG_USER ?? 'postgres',
    database: 'postgres',
    connectionTimeoutMillis: 3000,
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ datname: string }>('SELECT datname FROM pg_database');
    others(rows.map((r) => r.datname));
    const names = rows.map((r) => r.datname).filter(mine);
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    return names.length ? `${names.length} PostgreSQL database(s) (dropped now): ${names.join(', ')}` : null;
  } finally {
    await client.end();
  }
}
