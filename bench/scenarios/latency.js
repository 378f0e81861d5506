/** One job at a time: the median, p90 and p99 round trip of a tiny job, and the CPU it costs. */
import { cpuWindow } from '../lib/cpu.js';
import { median, quantile } from '../lib/stats.js';

export const title = 'round trip µs';

export async function measure(system, { workers, jobs, warmup = 500 }) {
  const pool = await system.create({ workers });
  try {
    for (let i = 0; i < warmup; i++) await pool.run({ a: i, b: 3 });
    const times = new Array(jobs);
    const end = cpuWindow();
    for (let i = 0; i < jobs; i++) {
      const start = performance.now();
      await pool.run({ a: i, b: 3 });
      times[i] = (performance.now() - start) * 1000;
    }
    const { parentCpu, childCpu } = end();
    return {
      roundTripUs: median(times),
      p90Us: quantile(times, 0.9),
      p99Us: quantile(times, 0.99),
      // All processes' CPU per round trip: less noisy than wall time on a shared machine.
      rtCpuUs: ((parentCpu + childCpu) / jobs) * 1e6,
      rtParentCpuUs: (parentCpu / jobs) * 1e6,
    };
  } finally {
    await pool.close();
  }
}
