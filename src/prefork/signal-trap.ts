import { onProcessSignal } from '../signals.js';

/**
 * The manager's signal subscriptions (one process listener per signal is shared with every
 * other manager and pool, see src/signals.ts), held only while it needs them so that nothing
 * leaks: `remove()` restores the listener counts exactly.
 */
export class SignalTrap {
  readonly #signals: NodeJS.Signals[];
  readonly #onSignal: (signal: NodeJS.Signals) => void;
  /** The subscriptions' removers, by signal. */
  readonly #listeners = new Map<NodeJS.Signals, () => void>();

  constructor(signals: Iterable<NodeJS.Signals>, onSignal: (signal: NodeJS.Signals) => void) {
    this.#signals = [...signals];
    this.#onSignal = onSignal;
  }

  get installed(): boolean {
    return this.#listeners.size > 0;
  }

  install(): void {
    if (this.installed) return;
    for (const signal of this.#signals) {
      this.#listeners.set(signal, onProcessSignal(signal, () => this.#onSignal(signal)));
    }
  }

  remove(): void {
    for (const remove of this.#listeners.values()) remove();
    this.#listeners.clear();
  }
}
