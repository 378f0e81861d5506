import { NoPendingJobsError } from '../errors.js';

/** A collected job outcome, shaped like `Promise.allSettled`'s entries, plus the job itself. */
export type Outcome<Job, Value> =
  | { status: 'fulfilled'; value: Value; job: Job }
  | { status: 'rejected'; reason: unknown; job: Job };

/**
 * The seed's result queue in Node's idiom: `add()`-ed jobs' outcomes, collected in completion
 * order by `next()` (waits), `nextNow()` (never waits); shared by the local and distributed pools.
 */
export class OutcomeQueue<Job, Value> {
  readonly #outcomes: Array<Outcome<Job, Value>> = [];
  readonly #waiters: Array<(outcome: Outcome<Job, Value>) => void> = [];
  #pending = 0;

  get pending(): number {
    return this.#pending;
  }

  /** Counts the job as pending until its outcome is collected. */
  track(job: Job, result: Promise<Value>): void {
    this.#pending++;
    result.then(
      (value) => this.#collect({ status: 'fulfilled', value, job }),
      (reason: unknown) => this.#collect({ status: 'rejected', reason, job }),
    );
  }

  #collect(outcome: Outcome<Job, Value>): void {
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#pending--;
      waiter(outcome);
    } else {
      this.#outcomes.push(outcome);
    }
  }

  /** The next outcome; rejects with ERR_NO_PENDING_JOBS when none is pending (or all are awaited already). */
  next(): Promise<Outcome<Job, Value>> {
    const ready = this.#outcomes.shift();
    if (ready) {
      this.#pending--;
      return Promise.resolve(ready);
    }
    if (this.#pending - this.#waiters.length <= 0) return Promise.reject(new NoPendingJobsError());
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** The next outcome, or `undefined` at once when none is ready. */
  nextNow(): Outcome<Job, Value> | undefined {
    const ready = this.#outcomes.shift();
    if (ready) this.#pending--;
    return ready;
  }

  /** Every pending outcome; ends when nothing is pending. */
  async *drain(): AsyncGenerator<Outcome<Job, Value>, void, undefined> {
    while (this.#pending > 0) yield await this.next();
  }
}
