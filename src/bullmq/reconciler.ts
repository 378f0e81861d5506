import type { Redis } from 'ioredis';
import { withDeadline } from './connection.js';
import { JobLostError } from './errors.js';

export interface ReconcilerHooks {
  client: Redis;
  jobKey(id: string): string;
  /** Base polling interval (ms). */
  interval: number;
  /** Bound (ms) on one round of reads. */
  timeout: number;
  /** Ids of the jobs in Redis whose outcome is still awaited, oldest first. */
  ids(): Iterable<string>;
  completed(id: string, value: unknown): void;
  failed(id: string, failedReason: string): void;
  lost(id: string, error: Error): void;
}

/** Most jobs read in one round (one pipelined round trip). */
const ROUND = 1000;
/** A job not finished is re-read after a delay that doubles up to this (ms). */
const MAX_DELAY = 30_000;

/**
 * Reads the state of awaited jobs from their hashes, so that an outcome whose event was missed
 * (the event stream is capped at ~10,000 entries; events written before the listener started
 * or while it reconnected are gone) still settles. Each job is read `interval` ms after it was
 * sent, then with doubling delays: the cost stays small for long queues. A hash read is O(1),
 * unlike BullMQ's getState (which scans the wait list).
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
      if (batch.length > 0) await this.#read(batch);
    } catch {
      // Redis unreachable for this round: the next round tries again.
    } finally {
      this.#running = false;
    }
  }

  async #read(ids: string[]): Promise<void> {
    const pipeline = this.#hooks.client.pipeline();
    for (const id of ids) pipeline.hmget(this.#hooks.jobKey(id), 'finishedOn', 'returnvalue', 'failedReason', 'timestamp');
    const replies = (await withDeadline(pipeline.exec(), this.#hooks.timeout, 'read job states')) ?? [];
    for (const [i, id] of ids.entries()) {
      const [error, fields] = replies[i] ?? [null, null];
      if (error || !Array.isArray(fields)) continue;
      const [finishedOn = null, returnvalue = null, failedReason = null, timestamp = null] = fields as Array<string | null>;
      // Every job hash has `timestamp`: none means the job is gone.
      if (timestamp === null) {
        this.#hooks.lost(id, new JobLostError(id));
        continue;
      }
      // `finishedOn` is written only when a job completes or fails for good (not between retries).
      if (finishedOn === null) continue;
      if (returnvalue !== null) this.#hooks.completed(id, parse(returnvalue));
      else this.#hooks.failed(id, failedReason ?? '');
    }
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
