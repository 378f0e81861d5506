import { createPoolRunner } from './pool-runner.js';
import { openInput, openOutput, resolveWorkerPath } from './io.js';
import { runSession } from './session.js';
import { UsageError } from './errors.js';

/** The parsed options of `forkpool run` (commander's camelCase names). */
export interface RunCommandOptions {
  input?: string;
  output?: string;
  workers?: number;
  timeout?: number;
  retries?: number;
  maxJobsPerWorker?: number;
  ordered?: boolean;
  /** Input lines longer than this (bytes) become ERR_BAD_INPUT error lines. */
  maxLineBytes?: number;
  /** Where the workers' stdout goes (stdout carries only result lines unless 'inherit'). */
  workerStdout?: 'stderr' | 'inherit' | 'ignore';
  /** With --queue: jobs go to a BullMQ queue on this Redis (src/bullmq/cli-run.ts). */
  redis?: string;
  queue?: string;
  redisTimeout?: number;
  /** --task: the worker module's export every job runs (the default export without it). */
  task?: string;
  /** --progress: the progress line shows the latest `ctx.progress` value of a running job. */
  progress?: boolean;
}

/** `forkpool run <worker>` on the local process pool; resolves with the exit code. */
export async function runCommand(worker: string | undefined, options: RunCommandOptions): Promise<number> {
  if (options.redis !== undefined || options.queue !== undefined || options.redisTimeout !== undefined) {
    // Loaded only here: bullmq and ioredis are optional peer dependencies.
    const { runOnQueue } = await import('../bullmq/cli-run.js');
    return runOnQueue(worker, options);
  }
  if (worker === undefined) throw new UsageError('Missing the worker module: forkpool run ./worker.mjs < jobs.jsonl (or --redis URL --queue NAME to use remote hosts).');
  const workerPath = resolveWorkerPath(worker);
  const input = await openInput(options.input);
  const output = await openOutput(options.output);
  const runner = createPoolRunner({
    worker: workerPath,
    workers: options.workers,
    timeout: options.timeout,
    maxRetries: options.retries,
    maxJobsPerWorker: options.maxJobsPerWorker,
    stdout: options.workerStdout ?? 'stderr',
    task: options.task,
  });
  return runSession({
    runner,
    input,
    output,
    ordered: options.ordered === true,
    maxLineBytes: options.maxLineBytes,
    inputPath: input === process.stdin ? undefined : options.input,
    showProgress: options.progress === true,
  });
}
