/** Tiny jobs `{a, b} -> {product}`: throughput with a window of jobs in flight. */
import { drive } from '../lib/drive.js';
import { children } from '../lib/proc.js';

export const title = 'tiny jobs/s';

export async function measure(system, { workers, jobs, window = 1024, warmup = 2000 }) {
  const pool = await system.create({ workers });
  try {
    const makeJob = (i) => ({ a: i, b: 3 });
    await drive(pool.run, warmup, window, makeJob);
    const before = children();
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    await drive(pool.run, jobs, window, makeJob);
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const after = children();
    const childCpu = after.reduce((sum, c) => sum + c.cpuSeconds, 0) - before.filter((b) => after.some((a) => a.pid === b.pid)).reduce((s, c) => s + c.cpuSeconds, 0);
    const rss = after.map((c) => c.peakRssMiB).filter((v) => v !== undefined);
    const parentCpu = (cpu.user + cpu.system) / 1e6;
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
