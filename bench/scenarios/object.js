/** 200 × `{ id, data: 1 MiB Buffer }` submitted at once and echoed back (binary inside a structured value). */
import { measureMib } from '../lib/mib.js';

export const title = '200 × { id, data: 1 MiB } at once, MiB/s';

export function measure(system, { workers, burst = 200, bursts = 3, warmupBursts = 1 }) {
  return measureMib(system, { workers, shape: 'object', load: { burst, bursts, warmupBursts } });
}
