import { settle, type Job } from './job.js';

import type { PoolCounts } from '../pool-types.js';

export type LedgerCounts = PoolCounts;

/**
 * The pool's books: every job opened is settled exactly once (later settles are ignored and
 * return false), and the counts say what happened. `onIdle` runs each time the last unsettled
 * job settles.
 */
export class Ledger {
  readonly counts: LedgerCounts = { submitted: 0, completed: 0, failed: 0, timedOut: 0, cancelled: 0, retried: 0, crashed: 0, killed: 0, spawned: 0, exited: 0 };
  readonly #onIdle: () => void;
  #unsettled = 0;

  constructor(onIdle: () => void) {
    this.#onIdle = onIdle;
  }

  get unsettled(): number {
    return this.#unsettled;
  }

  open(): void {
    this.counts.submitted++;
    this.#unsettled++;
  }

  /** Settles `job` unless it already is; true when this call settled it. */
  finish(job: Job, ok: boolean, value: unknown): boolean {
    if (!settle(job, ok, value)) return false;
    if (ok) this.counts.completed++;
    else this.counts.failed++;
    if (--this.#unsettled === 0) this.#onIdle();
    return true;
  }
}
