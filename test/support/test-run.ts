import { randomBytes } from 'node:crypto';

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
