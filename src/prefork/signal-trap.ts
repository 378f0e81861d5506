/**
 * Process signal listeners for the manager, installed only while it needs them so that nothing
 * leaks: `remove()` restores the listener counts exactly.
 */
export class SignalTrap {
  readonly #signals: NodeJS.Signals[];
  readonly #onSignal: (signal: NodeJS.Signals) => void;
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
      const listener = () => this.#onSignal(signal);
      this.#listeners.set(signal, listener);
      process.on(signal, listener);
    }
  }

  remove(): void {
    for (const [signal, listener] of this.#listeners) process.off(signal, listener);
    this.#listeners.clear();
  }
}
