import { UsageError } from '../cli/errors.js';
import { openInput, openOutput } from '../cli/io.js';
import type { Runner } from '../cli/runner.js';
import { runSession } from '../cli/session.js';
import { DistributedPool } from './pool.js';

/** What `forkpool run --redis URL --queue NAME` takes (commander's camelCase names). */
export interface QueueRunOptions {
  redis?: string;
  queue?: string;
  input?: string;
  output?: string;
  timeout?: number;
  retries?: number;
  ordered?: boolean;
  workers?: number;
  maxJobsPerWorker?: number;
  maxLineBytes?: number;
  workerStdout?: string;
  redisTimeout?: number;
  task?: string;
  progress?: boolean;
}

/**
 * Jobs in flight through Redis are bounded by the session at this many times its per-worker
 * window (see session.ts): the remote capacity is unknown here, so it is generous enough for
 * several hosts and still keeps Redis and this process's memory small.
 */
const QUEUE_CONCURRENCY = 64;

/** `forkpool run --redis --queue`: the same session (lines, order, progress, exit codes) over a DistributedPool. */
export async function runOnQueue(worker: string | undefined, options: QueueRunOptions): Promise<number> {
  if (options.redis === undefined || options.queue === undefined) {
    throw new UsageError('--redis and --queue go together: forkpool run --redis redis://host:6379 --queue NAME < jobs.jsonl');
  }
  if (worker !== undefined) {
    throw new UsageError(`With --redis the worker module is loaded by each "forkpool worker" host, not here: drop "${worker}", and start hosts with: forkpool worker ${worker} --redis URL --queue ${options.queue}`);
  }
  for (const [flag, value] of [['--workers', options.workers], ['--max-jobs-per-worker', options.maxJobsPerWorker], ['--worker-stdout', options.workerStdout]] as const) {
    if (value !== undefined) throw new UsageError(`${flag} is a worker host option with --redis: pass it to each "forkpool worker" instead.`);
  }
  const input = await openInput(options.input);
  const output = await openOutput(options.output);
  const pool = new DistributedPool({ connection: options.redis, queue: options.queue, timeout: options.timeout, maxRetries: options.retries, redisTimeout: options.redisTimeout });
  try {
    // Checked before any line is read: a wrong URL is a usage error (exit 2), not N error lines.
    await pool.ready();
  } catch (error) {
    await pool.close({ force: true });
    throw new UsageError((error as Error).message, { cause: error });
  }
  const runner: Runner = {
    run: (job, onProgress) => pool.run(job, { ...(options.task === undefined ? {} : { name: options.task }), ...(onProgress ? { onProgress } : {}) }),
    close: (closeOptions) => pool.close(closeOptions),
    concurrency: QUEUE_CONCURRENCY,
    // Redis away past redisTimeout fails the pending jobs (error lines, exit 1); no error stops every job for good.
    isFatal: () => false,
  };
  return runSession({ runner, input, output, ordered: options.ordered === true, maxLineBytes: options.maxLineBytes, inputPath: input === process.stdin ? undefined : options.input, showProgress: options.progress === true });
}
