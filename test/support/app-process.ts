import { ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { isAlive, stopProcess } from './child-process';
import { recordChild } from './test-run';

/** Lines of output kept per process (the newest): enough to find a log line, bounded under a long load. */
const KEPT_LINES = 5000;

/**
 * An app from dist/ run as a child process whose output the test reads: started once a line of its output says it
 * is ready (a service on NATS listens on no port of its own to wait for), its log lines at hand afterwards.
 */
export class AppProcess {
  readonly output: string[] = [];

  private constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {}

  /**
   * Runs `node script` with `env` until a line of its standard output matches `ready`. A process that does not
   * say so within `timeoutMs`, or exits first, is stopped (never left running) and the start fails.
   */
  static async start(
    name: string,
    script: string,
    env: NodeJS.ProcessEnv,
    ready: RegExp,
    timeoutMs: number,
  ): Promise<AppProcess> {
    const proc = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'inherit'] });
    recordChild(proc.pid, `node ${script}`);
    const app = new AppProcess(name, proc);
    const lines = createInterface({ input: proc.stdout! });
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((done, fail) => {
        timer = setTimeout(
          () => fail(new Error(`${name} did not say it was ready within ${timeoutMs} ms`)),
          timeoutMs,
        );
        proc.once('exit', (code, signal) =>
          fail(new Error(`${name} exited (${code ?? signal}) before ready`)),
        );
        // Read for the whole life of the process: a full pipe would stall it.
        lines.on('line', (line) => {
          app.output.push(line);
          if (app.output.length > KEPT_LINES) app.output.shift();
          if (ready.test(line)) done();
        });
      });
      return app;
    } catch (e) {
      await stopProcess(proc, 1000);
      throw e;
    } finally {
      clearTimeout(timer);
      proc.removeAllListeners('exit');
    }
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get alive(): boolean {
    return isAlive(this.proc);
  }

  /** SIGKILL: the process gets no chance to finish anything; resolves once it is gone. */
  async kill(): Promise<void> {
    if (!this.alive) return;
    const gone = new Promise<void>((done) => this.proc.once('exit', () => done()));
    this.proc.kill('SIGKILL');
    await gone;
  }

  /** SIGTERM (then SIGKILL if it is still there after `graceMs`): the ordinary stop. */
  stop(graceMs?: number): Promise<void> {
    return stopProcess(this.proc, graceMs);
  }

  /** Whether any kept line of output contains `text`. */
  said(text: string): boolean {
    return this.output.some((line) => line.includes(text));
  }
}
