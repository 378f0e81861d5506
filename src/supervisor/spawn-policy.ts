/** A clock and a random source, injected so that back-off is tested without sleeping. */
export interface PolicyClock {
  now(): number;
  random(): number;
}

export const systemClock: PolicyClock = { now: () => Date.now(), random: Math.random };

/** Back-off after the module's own failed starts: 100 ms, doubling, at most 2 s. */
const FAULT_BACKOFF_MS = 100;
const FAULT_BACKOFF_MAX_MS = 2000;
/** Back-off after external kills with no worker ready in between: 25 ms, doubling, at most 500 ms, jittered. */
const KILL_BACKOFF_MS = 25;
const KILL_BACKOFF_MAX_MS = 500;
/** Back-off before a crashed job's retry: 50 ms, doubling per attempt, at most 1 s, jittered. */
const RETRY_BACKOFF_MS = 50;
const RETRY_BACKOFF_MAX_MS = 1000;

/**
 * When the pool may start its next worker, and when it gives up. Only the module's own faults
 * (see exit-classifier.ts) count toward `maxStartFailures`; external kills never do: a pool
 * whose workers an operator or the OOM killer ends keeps respawning, with capped back-off, for
 * as long as it lives. A worker that answers a job proves the module sound and resets both.
 */
export class SpawnPolicy {
  readonly #maxStartFailures: number;
  readonly #clock: PolicyClock;
  #faults = 0;
  #kills = 0;
  #notBefore = 0;

  constructor(maxStartFailures: number, clock: PolicyClock = systemClock) {
    this.#maxStartFailures = maxStartFailures;
    this.#clock = clock;
  }

  /** The module's failed starts in a row. */
  get faults(): number {
    return this.#faults;
  }

  /** While starts fail, one start at a time (so a broken module is not spawned N times at once). */
  get oneAtATime(): boolean {
    return this.#faults > 0;
  }

  /** Records a failed start; true once the pool should give up (if no worker is serving). */
  moduleFault(): boolean {
    this.#faults++;
    this.#delay(backoff(FAULT_BACKOFF_MS, FAULT_BACKOFF_MAX_MS, this.#faults));
    return this.#faults >= this.#maxStartFailures;
  }

  externalKill(): void {
    this.#kills++;
    this.#delay(this.#jitter(backoff(KILL_BACKOFF_MS, KILL_BACKOFF_MAX_MS, this.#kills)));
  }

  /** A worker became ready: kills before it no longer count in a row. */
  ready(): void {
    this.#kills = 0;
  }

  served(): void {
    this.#faults = 0;
    this.#kills = 0;
  }

  /** Earliest time (clock ms) for the next start. */
  get notBefore(): number {
    return this.#notBefore;
  }

  /** How long a job whose worker crashed waits before its `attempt`-th retry. */
  retryDelay(attempt: number): number {
    return this.#jitter(backoff(RETRY_BACKOFF_MS, RETRY_BACKOFF_MAX_MS, attempt));
  }

  #delay(ms: number): void {
    this.#notBefore = Math.max(this.#notBefore, this.#clock.now() + ms);
  }

  /** Between half and all of `ms`: workers killed together do not all come back at once. */
  #jitter(ms: number): number {
    return Math.round(ms * (0.5 + this.#clock.random() / 2));
  }
}

function backoff(base: number, max: number, n: number): number {
  return Math.min(base * 2 ** Math.max(0, n - 1), max);
}
