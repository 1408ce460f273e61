import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The id of one jest run (integration project), set by the global setup and inherited by every worker and every
 * process a suite spawns. Test databases (`cmiyc_test_<run>...`) and key prefixes (`cmiyc-test:<run>...:`)
 * start with it, so the final leak check finds what this run left behind and nothing of a run next door.
 */
export const TEST_RUN_ENV = 'CMIYC_TEST_RUN';

export const TEST_KEY_PREFIX = 'cmiyc-test:';
export const TEST_DB_PREFIX = 'cmiyc_test_';

/** A new run id: 'r' and 6 hex digits (valid in database names and key prefixes). */
export function newTestRunId(): string {
  return `r${randomBytes(3).toString('hex')}`;
}

/** This run's id, or '' outside a jest run with the global setup (a suite's names then carry no run id). */
export function testRunId(): string {
  return process.env[TEST_RUN_ENV] ?? '';
}

/**
 * Where this run records the processes its helpers spawn (one line each: pid, start time, what). Some processes
 * cannot be found by their environment afterwards (redis-server rewrites it for its process title), so the
 * leak check also looks up every recorded pid.
 */
export function childRecordFile(run = testRunId()): string {
  return join(tmpdir(), 'cmiyc-test-runs', `${run}.pids`);
}

/** A process's start time (clock ticks since boot), to tell it from a later process with the same pid. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Records a process a test helper spawned (nothing outside a run, or where /proc does not exist). */
export function recordChild(pid: number | undefined, what: string): void {
  const run = testRunId();
  if (!run || pid === undefined) return;
  const started = processStartTime(pid);
  if (started === null) return;
  const file = childRecordFile(run);
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${pid} ${started} ${what.replace(/\s+/g, ' ')}\n`);
}
