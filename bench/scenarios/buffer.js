/** A 1 MiB Buffer to the worker and the same 1 MiB back, 4 jobs in flight. */
import { measureMib } from '../lib/mib.js';

export const title = '1 MiB each way, 4 in flight, MiB/s';

export function measure(system, { workers, jobs, window = 4, warmup = 8 }) {
  return measureMib(system, { workers, shape: 'bytes', load: { window, jobs, warmup } });
}
