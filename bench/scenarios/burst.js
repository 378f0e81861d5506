/** 200 × 1 MiB Buffer jobs submitted at once and echoed back, a few bursts after an unmeasured one. */
import { measureMib } from '../lib/mib.js';

export const title = '200 × 1 MiB at once, MiB/s';

export function measure(system, { workers, burst = 200, bursts = 3, warmupBursts = 1 }) {
  return measureMib(system, { workers, shape: 'bytes', load: { burst, bursts, warmupBursts } });
}
