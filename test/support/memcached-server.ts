import { ChildProcess, spawn } from 'node:child_process';
import { freePort, waitForPort } from './redis-server';
import { recordChild } from './test-run';

/**
 * A memcached of the test's own, on a free port: suites do not share entries (memcached cannot delete by prefix,
 * so a shared one could not be cleaned up) and a test may stop it and start it again. stop() kills it; start()
 * brings it back, empty, on the same port.
 */
export class TestMemcachedServer {
  private proc?: ChildProcess;

  private constructor(readonly port: number) {}

  static async start(): Promise<TestMemcachedServer> {
    const server = new TestMemcachedServer(await freePort());
    await server.start();
    return server;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    // memcached refuses to run as root unless told which user to be.
    const user = process.getuid?.() === 0 ? ['-u', 'root'] : [];
    const proc = spawn(
      'memcached',
      ['-l', '127.0.0.1', '-p', String(this.port), '-U', '0', '-m', '32', ...user],
      {
        stdio: 'ignore',
      },
    );
    this.proc = proc;
    recordChild(proc.pid, `memcached -p ${this.port} (TestMemcachedServer)`);
    const exited = new Promise<never>((_, fail) => {
      proc.once('error', (e) =>
        fail(new Error(`memcached could not be started (${e.message}): apt-get install memcached`)),
      );
      proc.once('exit', (code, signal) =>
        fail(new Error(`memcached on port ${this.port} exited at start (${code ?? signal})`)),
      );
    });
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
    if (!this.running) throw new Error(`memcached on port ${this.port} did not stay up`);
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

/** The settings that put a config's cache-aside entries in this memcached. */
export function memcachedEnv(server: TestMemcachedServer): NodeJS.ProcessEnv {
  return { CACHE_ENGINE: 'memcached', MEMCACHED_HOST: '127.0.0.1', MEMCACHED_PORT: String(server.port) };
}
