import type { WorkerSlot } from './slot.js';

/** One submitted job, from `run()` until it settles; it may outlive settling as a "ghost" (see slot). */
export interface Job {
  readonly id: number;
  readonly input: unknown;
  /**
   * The job, serialized once at submission (JSON text or codec bytes): later mutations by the
   * caller do not leak in. A transferred job (`transfer`) is its tag and its own bytes, unjoined.
   */
  readonly payload: Buffer | string | readonly [Buffer] | readonly [Buffer, Uint8Array];
  /** Gives a pooled snapshot (`payload`) back for reuse; only once no write of it can be pending. */
  releasePayload: (() => void) | undefined;
  readonly timeout: number;
  /** The named task it runs (`run(job, { name })`); the default export when undefined. */
  readonly name: string | undefined;
  /** Higher first among queued jobs (see queue/job-queue.ts). */
  readonly priority: number;
  readonly onProgress: ((value: unknown) => void) | undefined;
  /** performance.now() at run()/add(), and when it was sent to a worker: its waitTime starts and grows there. */
  readonly submittedAt: number;
  dispatchedAt: number;
  /** Its worker answered it (its timing arrives in the next BUSY frame). */
  answered: boolean;
  /** Worker deaths charged to it so far (see supervisor/exit-classifier.ts); retried while <= maxRetries. */
  attempts: number;
  /**
   * It was unanswered, among others, when a worker died hard: any of them may have been the
   * fault. It runs alone on a worker until answered, so a poison job is charged when it kills a
   * worker by itself and no innocent job is failed.
   */
  suspect: boolean;
  /** Waiting out the back-off before a retry (not in the queue meanwhile). */
  retryTimer: NodeJS.Timeout | undefined;
  settled: boolean;
  /** How it settled (kept for the job:end diagnostics message). */
  outcome: 'fulfilled' | 'rejected' | undefined;
  error: unknown;
  /** The worker it was sent to, while it is there. */
  worker: WorkerSlot | undefined;
  /** Its seq on that worker (see channel/job-seq.ts): RELEASE, RELEASED and RECLAIMED name it so. */
  seq: number;
  /** A RELEASE was sent for it; it waits for RELEASED or its answer. */
  releasing: boolean;
  timer: NodeJS.Timeout | undefined;
  /** Its worker's running job as far as the parent can tell: its time limit (if any) runs. */
  armed: boolean;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  /** Detaches the caller's AbortSignal listener. */
  detach: (() => void) | undefined;
}

/** Settles a job exactly once; later calls are ignored. */
export function settle(job: Job, ok: boolean, value: unknown): boolean {
  if (job.settled) return false;
  job.settled = true;
  job.outcome = ok ? 'fulfilled' : 'rejected';
  if (!ok) job.error = value;
  if (job.timer) {
    clearTimeout(job.timer);
    job.timer = undefined;
  }
  if (job.retryTimer) {
    clearTimeout(job.retryTimer);
    job.retryTimer = undefined;
  }
  job.detach?.();
  job.detach = undefined;
  if (ok) job.resolve(value);
  else job.reject(value);
  return true;
}

/**
 * Called once the job will not be written again and no write of it is pending: its worker has
 * answered it (having read all of it), or released it after it settled. Writes to a worker that
 * died are dropped with its socket.
 */
export function releasePayload(job: Job): void {
  const release = job.releasePayload;
  job.releasePayload = undefined;
  release?.();
}
