import type { WorkerSlot } from './slot.js';

/** One submitted job, from `run()` until it settles; it may outlive settling as a "ghost" (see slot). */
export interface Job {
  readonly id: number;
  readonly input: unknown;
  /** The job, serialized once at submission (JSON text or codec bytes): later mutations by the caller do not leak in. */
  readonly payload: Buffer | string;
  readonly timeout: number;
  /** Crashes survived so far. */
  attempts: number;
  settled: boolean;
  /** The worker it was sent to, while it is there. */
  worker: WorkerSlot | undefined;
  /** A RELEASE was sent for it; it waits for RELEASED or its answer. */
  releasing: boolean;
  timer: NodeJS.Timeout | undefined;
  /** performance.now() when it became its worker's running job. */
  startedAt: number;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  /** Detaches the caller's AbortSignal listener. */
  detach: (() => void) | undefined;
}

/** Settles a job exactly once; later calls are ignored. */
export function settle(job: Job, ok: boolean, value: unknown): boolean {
  if (job.settled) return false;
  job.settled = true;
  if (job.timer) {
    clearTimeout(job.timer);
    job.timer = undefined;
  }
  job.detach?.();
  job.detach = undefined;
  if (ok) job.resolve(value);
  else job.reject(value);
  return true;
}
