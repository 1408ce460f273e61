/** Messages between the stampede workers and their parent (see worker.ts and workers.ts). */
export interface StampedeRun {
  type: 'run';
  /** Logical keys, each requested `perKey` times at once. */
  keys: string[];
  perKey: number;
  loaderMs: number;
}

export interface StampedeReport {
  type: 'result';
  /** How many times this process's loader ran. */
  loaderCalls: number;
  /** Latency of every request that succeeded, in ms. */
  latencies: number[];
  failures: number;
}

export type WorkerMessage = { type: 'ready' } | StampedeReport;
