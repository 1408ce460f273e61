import { TEST_RUN_ENV, newTestRunId } from './test-run';

/**
 * Integration project: gives the run its id before any worker starts (workers, and the processes suites spawn,
 * inherit the environment). Always a new one: the processes that started jest must not carry it.
 */
export default function globalSetup(): void {
  process.env[TEST_RUN_ENV] = newTestRunId();
}
