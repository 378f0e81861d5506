import { channel } from 'node:diagnostics_channel';

/**
 * The pool's diagnostics channels (node:diagnostics_channel). Publishing is skipped unless
 * someone subscribed (`hasSubscribers`), so they cost next to nothing otherwise.
 *
 * - `forkpool:job:start` — `{ jobId, workerId, pid, name }`, when a job is sent to a worker.
 * - `forkpool:job:end` — `{ jobId, workerId, pid, name, status, error?, waitMs, runMs }`, once a
 *   job settled and its timing is known.
 * - `forkpool:worker:spawn` — `{ workerId, pid }`.
 * - `forkpool:worker:exit` — `{ workerId, pid, exitCode, signal, reason }`.
 */
export const jobStart = channel('forkpool:job:start');
export const jobEnd = channel('forkpool:job:end');
export const workerSpawn = channel('forkpool:worker:spawn');
export const workerExit = channel('forkpool:worker:exit');

export interface JobEndMessage {
  jobId: number;
  workerId: number | undefined;
  pid: number | undefined;
  name: string;
  status: 'fulfilled' | 'rejected';
  error?: unknown;
  waitMs: number | undefined;
  runMs: number | undefined;
}
