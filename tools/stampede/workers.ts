import { ChildProcess, fork, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StampedeReport, StampedeRun, WorkerMessage } from './protocol';

/** The compiled worker (npm run build puts it in dist/tools/stampede). */
function workerPath(): string {
  const beside = join(__dirname, 'worker.js');
  if (existsSync(beside)) return beside;
  const built = resolve(__dirname, '../../dist/tools/stampede/worker.js');
  if (existsSync(built)) return built;
  throw new Error(`stampede worker not built: run npm run build (looked for ${beside} and ${built})`);
}

/** Several OS processes calling the cache engine at the same moment (the cross-process stampede check). */
export class StampedeWorkers {
  private constructor(private readonly procs: ChildProcess[]) {}

  /** Starts `count` workers with this environment and resolves when every one is connected (readiness). */
  static async start(count: number, env: NodeJS.ProcessEnv): Promise<StampedeWorkers> {
    const procs = Array.from({ length: count }, () =>
      fork(workerPath(), [], {
        env: { ...process.env, ...env },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    const workers = new StampedeWorkers(procs);
    try {
      await Promise.all(procs.map((p) => next(p, 'ready')));
    } catch (e) {
      await workers.stop();
      throw e;
    }
    return workers;
  }

  /** Sends the same run to every worker at once; one report per worker. */
  async run(run: Omit<StampedeRun, 'type'>): Promise<StampedeReport[]> {
    const reports = this.procs.map((p) => next(p, 'result') as Promise<StampedeReport>);
    for (const p of this.procs) p.send({ type: 'run', ...run });
    return Promise.all(reports);
  }

  /** Asks every worker to exit (it closes its connections); one that does not within 10 s is killed. */
  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map((p) => {
        const exited = exitOf(p);
        const kill = setTimeout(() => p.kill('SIGKILL'), 10_000);
        if (p.connected) p.send({ type: 'exit' });
        else p.kill('SIGTERM');
        return exited.finally(() => clearTimeout(kill));
      }),
    );
  }
}

/** Resolves when the process has exited (at once if it already has). */
function exitOf(p: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (p.exitCode !== null || p.signalCode !== null) return done();
    p.once('exit', () => done());
  });
}

/** The next message of a type from a worker; rejects if the worker exits first. */
function next(p: ChildProcess, type: WorkerMessage['type']): Promise<WorkerMessage> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: WorkerMessage) => {
      if (m.type !== type) return;
      cleanup();
      resolve(m);
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`stampede worker exited (${code}) before sending "${type}"`));
    };
    const cleanup = () => {
      p.off('message', onMessage);
      p.off('exit', onExit);
    };
    p.on('message', onMessage);
    p.once('exit', onExit);
  });
}

/** Processes that keep a core busy (`node -e 'for(;;){}'`): a busy machine for tests and benches. */
export class CpuHogs {
  private constructor(private readonly procs: ChildProcess[]) {}

  static start(count: number): CpuHogs {
    return new CpuHogs(
      Array.from({ length: count }, () => spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' })),
    );
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map((p) => {
        const exited = exitOf(p);
        p.kill('SIGKILL');
        return exited;
      }),
    );
  }
}
