import { ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
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
    await Promise.race([waitForOwnPort(proc.pid!, port, timeoutMs, waiting.signal), exited]);
    return proc;
  } catch (e) {
    await stopProcess(proc, 1000);
    throw e;
  } finally {
    waiting.abort();
    proc.off('exit', onExit);
  }
}

/**
 * Waits until `pid` itself listens on `port`. A port that merely answers is not enough: between freePort() and the
 * child's bind another process may take it, and the child then fails while the port answers for someone else. On
 * Linux the listening socket's inode is looked up among the child's descriptors; elsewhere, any listener counts.
 */
async function waitForOwnPort(
  pid: number,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  await waitForPort(port, timeoutMs, signal);
  if (process.platform !== 'linux') return;
  const deadline = Date.now() + timeoutMs;
  while (!listensOn(pid, port)) {
    if (signal.aborted) throw new Error(`stopped waiting for port ${port}`);
    if (Date.now() > deadline) throw new Error(`port ${port} answers, but not from process ${pid}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function listensOn(pid: number, port: number): boolean {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is "ADDR:PORT" (hex), st 0A is LISTEN, inode is the 10th field.
      if (f.length > 9 && f[1].endsWith(`:${hexPort}`) && f[3] === '0A') inodes.add(f[9]);
    }
  }
  if (inodes.size === 0) return false;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (target.startsWith('socket:[') && inodes.has(target.slice(8, -1))) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}
