/**
 * Process signal listeners shared by every pool, prefork manager and the CLI in this process:
 * one `process.on(signal)` listener per signal, however many subscribers (20 pools with
 * `handleSignals` add one SIGTERM listener, not 20, so no MaxListenersExceededWarning). The
 * listener is removed with its last subscriber, which restores Node's default behaviour (exit).
 */
const subscribers = new Map<NodeJS.Signals, Set<() => void>>();
const listeners = new Map<NodeJS.Signals, () => void>();

/** Calls `handler` on each `signal` until the returned function is called. */
export function onProcessSignal(signal: NodeJS.Signals, handler: () => void): () => void {
  let set = subscribers.get(signal);
  if (!set) {
    const own = new Set<() => void>();
    set = own;
    subscribers.set(signal, own);
    // A copy: a handler may unsubscribe itself or others while the signal is being dispatched.
    const listener = () => {
      for (const fn of [...own]) if (own.has(fn)) fn();
    };
    listeners.set(signal, listener);
    process.on(signal, listener);
  }
  // Wrapped, so the same function subscribed twice is two subscriptions.
  const entry = () => handler();
  set.add(entry);
  return () => {
    const current = subscribers.get(signal);
    if (!current?.delete(entry) || current.size > 0) return;
    subscribers.delete(signal);
    const listener = listeners.get(signal);
    listeners.delete(signal);
    if (listener) process.off(signal, listener);
  };
}

/**
 * SIGTERM/SIGINT handling shared by the pool and the CLI: the first signal asks for a graceful
 * stop, the second for a forced one. Returns a function that removes the handlers again.
 */
export function installSignalHandlers(graceful: () => void, forced: () => void, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): () => void {
  let received = 0;
  const onSignal = () => {
    received++;
    if (received === 1) graceful();
    else forced();
  };
  const removers = signals.map((signal) => onProcessSignal(signal, onSignal));
  return () => {
    for (const remove of removers.splice(0)) remove();
  };
}
