/** Tiny jobs `{a, b} -> {product}`: throughput with a window of jobs in flight. */
import { cpuWindow } from '../lib/cpu.js';
import { drive } from '../lib/drive.js';

export const title = 'tiny jobs/s';

export async function measure(system, { workers, jobs, window = 1024, warmup = 2000 }) {
  const pool = await system.create({ workers });
  try {
    const makeJob = (i) => ({ a: i, b: 3 });
    await drive(pool.run, warmup, window, makeJob);
    const end = cpuWindow();
    const start = performance.now();
    await drive(pool.run, jobs, window, makeJob);
    const seconds = (performance.now() - start) / 1000;
    const { parentCpu, childCpu, after } = end();
    const rss = after.map((c) => c.peakRssMiB).filter((v) => v !== undefined);
    return {
      jobsPerSec: jobs / seconds,
      // Fractions of one core over the measured window.
      parentCpu: parentCpu / seconds,
      cpuPerWorker: after.length ? childCpu / after.length / seconds : undefined,
      cpuUsPerJob: ((parentCpu + childCpu) / jobs) * 1e6,
      peakRssPerWorkerMiB: rss.length ? rss.reduce((a, b) => a + b, 0) / rss.length : undefined,
      processes: after.length,
    };
  } finally {
    await pool.close();
  }
}
