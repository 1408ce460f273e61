import { ChildProcess, spawn } from 'node:child_process';
import { createServer, Socket } from 'node:net';
import { recordChild } from './test-run';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts connections on the port (rejects after timeoutMs, or once `signal` aborts). */
export async function waitForPort(port: number, timeoutMs = 10000, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = new Socket();
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => (s.destroy(), resolve(false)));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    if (signal?.aborted) throw new Error(`stopped waiting for port ${port}`);
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A Redis server of the test's own (for "the cache goes away and comes back" tests), on its own port, keeping
 * nothing on disk. stop() kills it; start() brings it back on the same port (and does nothing while it runs, so
 * a second server never replaces the handle of the first).
 */
export class TestRedisServer {
  private proc?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<TestRedisServer> {
    const server = new TestRedisServer(await freePort());
    await server.start();
    return server;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.proc = proc;
    recordChild(proc.pid, `redis-server --port ${this.port} (TestRedisServer)`);
    const exited = new Promise<never>((_, fail) =>
      proc.once('exit', (code, signal) =>
        fail(new Error(`redis-server on port ${this.port} exited at start (${code ?? signal})`)),
      ),
    );
    exited.catch(() => undefined);
    const waiting = new AbortController();
    try {
      await Promise.race([waitForPort(this.port, 10000, waiting.signal), exited]);
    } catch (e) {
      await this.stop();
      throw e;
    } finally {
      waiting.abort();
    }
    // Something else answering on the port while ours died (the port was taken) is not our server.
    if (!this.running) throw new Error(`redis-server on port ${this.port} did not stay up`);
  }

  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered — a hung server. */
  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGKILL');
    });
  }
}

/** Deletes every key under a prefix (benchmarks and tests clean up after themselves). Returns how many. */
export async function deleteKeysWithPrefix(
  client: import('iovalkey').default,
  prefix: string,
): Promise<number> {
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(
      cursor,
      'MATCH',
      `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`,
      'COUNT',
      5000,
    );
    cursor = next;
    if (keys.length) deleted += await client.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
