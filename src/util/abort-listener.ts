/**
 * One 'abort' listener per AbortSignal, however many jobs watch it. A signal shared by a batch
 * (one controller cancels 1000 jobs) would otherwise get a listener per job and Node's
 * MaxListenersExceededWarning past 10; `events.addAbortListener` does not help there (on Node 20
 * it adds a listener per call too).
 */
const watchers = new WeakMap<AbortSignal, Set<() => void>>();

/** Calls `fn` once when `signal` aborts, unless the returned function was called first. */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  let set = watchers.get(signal);
  if (!set) {
    const own = new Set<() => void>();
    set = own;
    watchers.set(signal, own);
    signal.addEventListener(
      'abort',
      () => {
        watchers.delete(signal);
        for (const watcher of [...own]) watcher();
        own.clear();
      },
      { once: true },
    );
  }
  const entry = () => fn();
  set.add(entry);
  return () => {
    set.delete(entry);
    // The listener itself stays until the signal aborts or is collected: removing and re-adding
    // it as jobs come and go would cost more than one idle listener.
  };
}
