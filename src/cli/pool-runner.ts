import { availableParallelism } from 'node:os';
import type { WorkerStdout } from '../options.js';
import { Pool } from '../pool.js';
import type { RunOptions } from '../pool-types.js';
import type { Runner } from './runner.js';

export interface PoolRunnerOptions {
  worker: string;
  workers?: number | undefined;
  timeout?: number | undefined;
  maxRetries?: number | undefined;
  maxJobsPerWorker?: number | undefined;
  stdout?: WorkerStdout | undefined;
  /** --task: the export every job runs. */
  task?: string | undefined;
}


/** The local runner: a forkpool `Pool` of worker processes. */
export function createPoolRunner(options: PoolRunnerOptions): Runner {
  const pool = new Pool({
    worker: options.worker,
    workers: options.workers,
    timeout: options.timeout,
    maxRetries: options.maxRetries,
    maxJobsPerWorker: options.maxJobsPerWorker,
    stdout: options.stdout,
  });
  // The broken-pool error also rejects every job; the listener only keeps it from being thrown.
  pool.on('error', () => undefined);
  return {
    run: (job, onProgress) => {
      const runOptions: RunOptions = {};
      if (options.task !== undefined) runOptions.name = options.task;
      if (onProgress) runOptions.onProgress = onProgress;
      // The task name is the command line's: the untyped form of run().
      return (pool.run as (job: unknown, options?: RunOptions) => Promise<unknown>).call(pool, job, runOptions);
    },
    close: (closeOptions) => pool.close(closeOptions),
    concurrency: options.workers ?? availableParallelism(),
    // The module cannot start at all (missing export, syntax error, init throws): no job can run.
    isFatal: (error) => (error as { code?: unknown } | null)?.code === 'ERR_WORKER_INIT',
  };
}
