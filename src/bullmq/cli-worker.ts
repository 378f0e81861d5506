import { resolveWorkerPath } from '../cli/io.js';
import { UsageError } from '../cli/errors.js';
import { installSignalHandlers } from '../signals.js';
import { DistributedWorker } from './worker.js';
import { redactUrl } from './redact.js';

/** The same error message is printed again only after this long (ms). */
const REPEAT_AFTER = 30_000;

/** The parsed options of `forkpool worker` (commander's camelCase names). */
export interface WorkerCommandOptions {
  redis: string;
  queue: string;
  workers?: number;
  timeout?: number;
  maxJobsPerWorker?: number;
  maxMemoryPerWorker?: number;
  concurrency?: number;
  lockDuration?: number;
  stalledInterval?: number;
  maxStalledCount?: number;
  name?: string;
  redisTimeout?: number;
}

/** `forkpool worker`: runs until a signal (exit 0) or a fatal error (exit 1); resolves with the exit code. */
export async function runWorkerCommand(worker: string, options: WorkerCommandOptions): Promise<number> {
  const stderr = process.stderr;
  const workerPath = resolveWorkerPath(worker);
  let host: DistributedWorker;
  try {
    host = await DistributedWorker.start({
      worker: workerPath,
      connection: options.redis,
      queue: options.queue,
      workers: options.workers,
      timeout: options.timeout,
      maxJobsPerWorker: options.maxJobsPerWorker,
      maxMemoryPerWorker: options.maxMemoryPerWorker,
      concurrency: options.concurrency,
      lockDuration: options.lockDuration,
      stalledInterval: options.stalledInterval,
      maxStalledCount: options.maxStalledCount,
      name: options.name,
      redisTimeout: options.redisTimeout,
    });
  } catch (error) {
    // A module that does not start or a Redis that cannot be reached: fix and start again.
    throw new UsageError((error as Error).message, { cause: error });
  }
  let done = 0;
  let failed = 0;
  let lost = 0;
  let fatal: Error | undefined;
  host.on('settled', ({ ok }) => (ok ? done++ : failed++));
  host.on('lost', ({ id, ok }) => {
    lost++;
    stderr.write(
      `forkpool worker: lost: job ${id} ${ok ? 'completed' : 'failed'} here, but Redis did not take its outcome within --redis-timeout; it runs again on another host if Redis still has it.\n`,
    );
  });
  // While Redis is away every reconnect fails the same way: one line per message and 30 s.
  const said = new Map<string, number>();
  host.on('error', (error) => {
    // Redis hiccups are retried by BullMQ and only reported; a broken module closes the host.
    if ((error as { code?: unknown }).code === 'ERR_WORKER_INIT') fatal ??= error;
    const now = Date.now();
    if (now - (said.get(error.message) ?? -Infinity) < REPEAT_AFTER) return;
    if (said.size > 100) said.clear();
    said.set(error.message, now);
    stderr.write(`forkpool worker: ${error.message}\n`);
  });
  const stopped = new Promise<void>((resolve) => {
    const remove = installSignalHandlers(
      () => {
        stderr.write('forkpool worker: stopping: no new jobs are taken; running ones finish (signal again to hand them back at once).\n');
        void host.close().then(() => {
          remove();
          resolve();
        });
      },
      () => {
        stderr.write('forkpool worker: stopping now; running jobs go back to the queue.\n');
        void host.close({ force: true });
      },
    );
    // A fatal error closes the host by itself.
    host.on('error', () => {
      if (fatal) void host.close().then(resolve);
    });
  });
  stderr.write(`forkpool worker: ready: queue "${options.queue}" on ${redactUrl(options.redis)}, ${host.pids.length} processes, pid ${process.pid}\n`);
  await stopped;
  stderr.write(`forkpool worker: stopped: ${done} done, ${failed} failed${lost > 0 ? `, ${lost} outcomes lost` : ''}\n`);
  return fatal || lost > 0 ? 1 : 0;
}
