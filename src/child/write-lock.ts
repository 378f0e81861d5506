/**
 * A lock shared by a worker's main thread and its release thread, around each write to the
 * answer fd: frames from the two must never interleave on the one stream.
 */
export type WriteLock = Int32Array;

export function writeLock(): WriteLock {
  return new Int32Array(new SharedArrayBuffer(4));
}

export function withWriteLock<T>(lock: WriteLock | undefined, write: () => T): T {
  if (!lock) return write();
  // The other thread holds it for one small write at most: wait on it, 1 ms at a time.
  while (Atomics.compareExchange(lock, 0, 0, 1) !== 0) Atomics.wait(lock, 0, 1, 1);
  try {
    return write();
  } finally {
    Atomics.store(lock, 0, 0);
    Atomics.notify(lock, 0, 1);
  }
}
