import { ChildProcess, spawn } from 'node:child_process';
import { waitForPort } from './private-server';
import { recordChild } from './test-run';

/** Whether a child process has not exited yet (by code or by signal). */
export function isAlive(proc: ChildProcess): boolean {
  return proc.exitCode === null && proc.signalCode === null;
}

/**
 * Stops a child: SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited.
 * A child that already exited (by code or by signal) resolves at once.
 */
export async function stopProcess(proc: ChildProcess, graceMs = 5000): Promise<void> {
  if (!isAlive(proc)) return;
  await new Promise<void>((done) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    proc.kill('SIGTERM');
  });
}

/**
 * Runs `node script` with `env` and waits until it listens on `port`. A process that does not listen within
 * `timeoutMs`, or exits first, is stopped (never left running) and the start fails.
 */
export async function startListeningNode(
  script: string,
  env: NodeJS.ProcessEnv,
  port: number,
  timeoutMs: number,
): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [script], { env, stdio: ['ignore', 'ignore', 'inherit'] });
  recordChild(proc.pid, `node ${script}`);
  let onExit!: (code: number | null, signal: NodeJS.Signals | null) => void;
  const exited = new Promise<never>((_, fail) => {
    onExit = (code, signal) =>
      fail(new Error(`${script} exited (${code ?? signal}) before listening on ${port}`));
    proc.once('exit', onExit);
  });
  exited.catch(() => undefined);
  const waiting = new AbortController();
  try {
    await Promise.race([waitForPort(port, timeoutMs, waiting.signal), exited]);
    return proc;
  } catch (e) {
    await stopProcess(proc, 1000);
    throw e;
  } finally {
    waiting.abort();
    proc.off('exit', onExit);
  }
}
