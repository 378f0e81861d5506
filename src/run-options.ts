import { InvalidOptionError } from './errors.js';
import { describe, MAX_TIMER_MS } from './options.js';
import type { RunOptions } from './pool-types.js';

/**
 * Checks one run's options (`run(job, options)`), for the local and the distributed pool alike.
 * Returns the error to reject that run with, or undefined. `timeout` is the run's own or the
 * pool's; `maxPriority` bounds `priority` where the backend has a range (BullMQ).
 */
export function checkRunOptions(options: RunOptions, timeout: unknown, maxPriority = Number.MAX_SAFE_INTEGER): InvalidOptionError | undefined {
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0 || timeout > MAX_TIMER_MS) {
    return new InvalidOptionError('timeout', `expected an integer from 0 to ${MAX_TIMER_MS} (ms; 0 for none), got ${describe(timeout)}.`);
  }
  const { signal, name, priority = 0, onProgress } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) return new InvalidOptionError('signal', 'expected an AbortSignal.');
  if (name !== undefined && (typeof name !== 'string' || name === '' || Buffer.byteLength(name) > 255)) {
    return new InvalidOptionError('name', `expected the name of a function the worker module exports, such as "resize" (1 to 255 bytes), got ${describe(name)}.`);
  }
  if (typeof priority !== 'number' || !Number.isSafeInteger(priority) || Math.abs(priority) > maxPriority) {
    return new InvalidOptionError('priority', `expected an integer from -${maxPriority} to ${maxPriority} (higher runs first, default 0), got ${describe(priority)}.`);
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    return new InvalidOptionError('onProgress', `expected a function (value) => void, got ${describe(onProgress)}.`);
  }
  return undefined;
}
