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

/** How to run one kind of private server on a given port. */
export interface ServerCommand {
  /** The executable, also the name in messages. */
  program: string;
  args: (port: number) => string[];
  /** What to do when the executable is missing. */
  install: string;
}

/**
 * A server process of the test's own (a cache that a test stops and starts again), on a free port of 127.0.0.1.
 * stop() kills it; start() brings it back on the same port, empty (and does nothing while it runs, so a second
 * process never replaces the handle of the first).
 */
export class PrivateServer {
  private proc?: ChildProcess;

  constructor(
    private readonly command: ServerCommand,
    readonly port: number,
  ) {}

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const { program, args, install } = this.command;
    const proc = spawn(program, args(this.port), { stdio: 'ignore' });
    this.proc = proc;
    recordChild(proc.pid, `${program} on port ${this.port} (PrivateServer)`);
    const exited = new Promise<never>((_, fail) => {
      proc.once('error', (e) =>
        fail(new Error(`${program} could not be started (${e.message}): ${install}`)),
      );
      proc.once('exit', (code, signal) =>
        fail(new Error(`${program} on port ${this.port} exited at start (${code ?? signal})`)),
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
    // Something else answering on the port while ours died (the port was taken) is not our server.
    if (!this.running) throw new Error(`${program} on port ${this.port} did not stay up`);
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

/** A started PrivateServer on a free port. */
export async function startPrivateServer(command: ServerCommand): Promise<PrivateServer> {
  const server = new PrivateServer(command, await freePort());
  await server.start();
  return server;
}
