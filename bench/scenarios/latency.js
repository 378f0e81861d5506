/** One job at a time: the median round trip of a tiny job. */
import { median, quantile } from '../lib/stats.js';

export const title = 'round trip µs';

export async function measure(system, { workers, jobs, warmup = 500 }) {
  const pool = await system.create({ workers });
  try {
    for (let i = 0; i < warmup; i++) await pool.run({ a: i, b: 3 });
    const times = new Array(jobs);
    for (let i = 0; i < jobs; i++) {
      const start = performance.now();
      await pool.run({ a: i, b: 3 });
      times[i] = (performance.now() - start) * 1000;
    }
    return { roundTripUs: median(times), p99Us: quantile(times, 0.99) };
  } finally {
    await pool.close();
  }
}
