import { EventEmitter } from 'node:events';
import { OutcomeQueue, type Outcome } from './outcomes.js';

/**
 * The seed's queue (`add`, `pending`, `next`, `nextNow`, `results`) over a pool's `run()`: one
 * implementation for the local and the distributed pool, which extend it.
 */
export abstract class OutcomePool<Job, Value> extends EventEmitter {
  readonly #outcomes = new OutcomeQueue<Job, Value>();

  /** Runs one job and resolves with its (mapped) result. */
  abstract run(job: Job): Promise<Value>;

  /** Throws when the pool cannot take `count` more jobs now (closed, or no room), so `add` adds none. */
  protected abstract assertRoomFor(count: number): void;

  /**
   * Queues jobs whose outcomes are collected with `next()`, `nextNow()` or `results()`.
   * Throws ERR_POOL_CLOSED after close (and, for a pool with `maxQueue`, ERR_QUEUE_FULL when
   * they do not fit), adding none.
   */
  add(...jobs: Job[]): void {
    this.assertRoomFor(jobs.length);
    for (const job of jobs) this.#outcomes.track(job, this.run(job));
  }

  /** Collects `result` as `job`'s outcome (for subclasses' own ways of adding jobs). */
  protected track(job: Job, result: Promise<Value>): void {
    this.#outcomes.track(job, result);
  }

  /** Jobs added and not yet collected (finished or not). */
  get pending(): number {
    return this.#outcomes.pending;
  }

  /** The next finished job, in completion order. Rejects with ERR_NO_PENDING_JOBS when none is pending. */
  next(): Promise<Outcome<Job, Value>> {
    return this.#outcomes.next();
  }

  /** The next finished job, or `undefined` at once when none is ready. */
  nextNow(): Outcome<Job, Value> | undefined {
    return this.#outcomes.nextNow();
  }

  /** Every pending outcome, in completion order; ends when `pending` reaches 0. */
  results(): AsyncGenerator<Outcome<Job, Value>, void, undefined> {
    return this.#outcomes.drain();
  }
}
