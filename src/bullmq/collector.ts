import { NoPendingJobsError } from '../errors.js';
import type { Outcome } from '../pool.js';

/** `add()`-ed jobs' outcomes for `next()`, `nextNow()` and `results()`, as the local Pool has them. */
export class Collector<Job, Value> {
  readonly #outcomes: Array<Outcome<Job, Value>> = [];
  readonly #waiters: Array<(outcome: Outcome<Job, Value>) => void> = [];
  #pending = 0;

  get pending(): number {
    return this.#pending;
  }

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

  next(): Promise<Outcome<Job, Value>> {
    const ready = this.#outcomes.shift();
    if (ready) {
      this.#pending--;
      return Promise.resolve(ready);
    }
    if (this.#pending - this.#waiters.length <= 0) return Promise.reject(new NoPendingJobsError());
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  nextNow(): Outcome<Job, Value> | undefined {
    const ready = this.#outcomes.shift();
    if (ready) this.#pending--;
    return ready;
  }
}
