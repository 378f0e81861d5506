import type { PreforkStats } from './types.js';
import { InvalidOptionError } from '../errors.js';
import { integer } from '../options.js';
import { PreforkEngine } from './engine.js';
import { normalizePreforkOptions, type PreforkOptions } from './options.js';
import { toSignal } from './signals.js';

export interface PreforkCloseOptions {
  /** SIGKILL every child at once instead of SIGTERM first. */
  force?: boolean;
}

/**
 * A prefork manager: keeps `maxWorkers` children of one module alive until a trapped signal
 * arrives, so the caller can reload its configuration and go on, or stop.
 *
 * @example
 * const prefork = new Prefork({ worker: new URL('./child.js', import.meta.url), maxWorkers: 4,
 *   callbacks: { nextUser: () => users.shift() },
 *   onChildReap: ({ pid, status, payload }) => console.log(pid, status, payload) });
 * let signal;
 * do signal = await prefork.start();          // resolves when a trapped signal arrives
 * while (signal !== 'SIGTERM' && signal !== 'SIGINT');
 * await prefork.waitAll();
 */
export class Prefork {
  readonly #engine: PreforkEngine;

  constructor(options: PreforkOptions) {
    this.#engine = new PreforkEngine(normalizePreforkOptions(options));
  }

  /**
   * Spawns and keeps `maxWorkers` children until a trapped signal arrives; resolves with its name
   * ('SIGTERM', 'SIGHUP', ...). After SIGTERM or SIGINT it resolves at once and starts nothing.
   */
  start(): Promise<NodeJS.Signals> {
    return this.#engine.start();
  }

  /** The last trapped signal since the current (or last) `start()` began, or ''. */
  get signalReceived(): NodeJS.Signals | '' {
    return this.#engine.signalReceived;
  }

  /** True once SIGTERM/SIGINT arrived or `close()` was called: no child will start again. */
  get stopped(): boolean {
    return this.#engine.stopped;
  }

  /** Children spawned and not yet reaped. */
  get numWorkers(): number {
    return this.#engine.numWorkers;
  }

  /** Pids of the children not yet reaped. */
  /** Children now, spawned and reaped so far, and how long children lived (`lifetime`, in ms). */
  stats(): PreforkStats {
    return this.#engine.stats();
  }

  get pids(): number[] {
    return this.#engine.pids;
  }

  get maxWorkers(): number {
    return this.#engine.maxWorkers;
  }

  /** Takes effect at once while `start()` runs: extra children get the relayed SIGTERM, missing ones are spawned. */
  set maxWorkers(value: number) {
    this.#engine.maxWorkers = integer('maxWorkers', value, 0, 0);
  }

  /** Acts as if `signal` had arrived: relays its `trapSignals` mapping (nothing if unmapped) and ends `start()`. */
  interrupt(signal: string = 'SIGTERM'): void {
    this.#engine.interrupt(signalOption('signal', signal));
  }

  /** Sends `signal` to every child; returns how many were signalled. */
  signalAll(signal: string): number {
    return this.#engine.signalAll(signalOption('signal', signal));
  }

  /**
   * Resolves once every child is reaped, or after `timeout` ms, with how many still run. Kills
   * nothing. No timeout, or 0, waits for every child (0 means "none" for every forkpool timeout,
   * and for Perl's `wait_all_children(0)`); to poll without waiting, read `numWorkers`.
   */
  waitAll(timeout?: number): Promise<number> {
    if (timeout !== undefined) {
      try {
        integer('timeout', timeout, 0, 0);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#engine.waitAll(timeout === 0 ? undefined : timeout);
  }

  /** Stops for good: SIGTERM to every child, SIGKILL after `killTimeout` (at once with `force`), waits for all. */
  close(options: PreforkCloseOptions = {}): Promise<void> {
    return this.#engine.close(options.force === true);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function signalOption(name: string, value: unknown): NodeJS.Signals {
  const signal = toSignal(value);
  if (!signal) throw new InvalidOptionError(name, `expected a signal name such as "SIGTERM" or "TERM", got ${String(value)}.`);
  return signal;
}
