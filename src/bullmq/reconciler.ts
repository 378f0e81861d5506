import { Job, type Queue } from 'bullmq';
import { withDeadline } from './connection.js';
import { JobLostError } from './errors.js';

export interface ReconcilerHooks {
  queue: Queue;
  /** Base polling interval (ms). */
  interval: number;
  /** Bound (ms) on one round of reads. */
  timeout: number;
  /** Ids of the jobs in Redis whose outcome is still awaited, oldest first. */
  ids(): Iterable<string>;
  completed(id: string, value: unknown): void;
  failed(id: string, failedReason: string, stalledCount: number): void;
  lost(id: string, error: Error): void;
}

/** Most jobs read in one round. */
const ROUND = 1000;
/** A job not finished is re-read after a delay that doubles up to this (ms). */
const MAX_DELAY = 30_000;

/**
 * Reads the state of awaited jobs through BullMQ's public API (`Job.fromId`, then `getState`
 * once the job has a `finishedOn`), so that an outcome whose event was missed (the event stream
 * is capped at ~10,000 entries; events written before the listener started or while it
 * reconnected are gone) still settles, and a job Redis no longer has (restarted empty, flushed,
 * evicted) fails with ERR_JOB_LOST. Each job is read `interval` ms after it was sent, then with
 * doubling delays: the cost stays small for long queues. `fromId` is one hash read per job;
 * `getState` (which may scan lists) is asked only of finished jobs, which it finds first.
 */
export class Reconciler {
  readonly #hooks: ReconcilerHooks;
  /** When each job is next read, and the delay after that. */
  readonly #due = new Map<string, { at: number; delay: number }>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(hooks: ReconcilerHooks) {
    this.#hooks = hooks;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.#round(), Math.max(10, Math.floor(this.#hooks.interval / 2)));
    // The pool's Redis connections keep the process alive while jobs are awaited; this timer must not.
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#due.clear();
  }

  /**
   * Every awaited job is read on the next rounds, whatever its delay: after a reconnect, Redis
   * may be a new (empty) server, or events may have been dropped while the listener was away.
   */
  readAllSoon(): void {
    const now = Date.now();
    for (const due of this.#due.values()) {
      due.at = now;
      due.delay = this.#hooks.interval;
    }
  }

  async #round(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      const now = Date.now();
      const { interval } = this.#hooks;
      const batch: string[] = [];
      const seen = new Set<string>();
      for (const id of this.#hooks.ids()) {
        seen.add(id);
        let due = this.#due.get(id);
        if (!due) {
          due = { at: now + interval, delay: interval };
          this.#due.set(id, due);
        }
        if (due.at <= now && batch.length < ROUND) {
          batch.push(id);
          due.delay = Math.min(due.delay * 2, MAX_DELAY);
          due.at = now + due.delay;
        }
      }
      for (const id of this.#due.keys()) if (!seen.has(id)) this.#due.delete(id);
      if (batch.length > 0) await withDeadline(Promise.all(batch.map((id) => this.#read(id))), this.#hooks.timeout, 'read job states');
    } catch {
      // Redis unreachable for this round: the next round tries again.
    } finally {
      this.#running = false;
    }
  }

  async #read(id: string): Promise<void> {
    const { queue } = this.#hooks;
    const job = await Job.fromId(queue, id);
    if (job === undefined) return this.#hooks.lost(id, new JobLostError(id));
    // `finishedOn` is set only when a job completes or fails for good (not between retries).
    if (job.finishedOn === undefined) return;
    const state = await job.getState();
    if (state === 'completed') this.#hooks.completed(id, job.returnvalue);
    else if (state === 'failed') this.#hooks.failed(id, job.failedReason, job.stalledCounter);
  }
}
