/** A 1 MiB Buffer to the worker and the same 1 MiB back, a few jobs in flight. */
import { randomFillSync } from 'node:crypto';
import { drive } from '../lib/drive.js';

export const title = '1 MiB each way, MiB/s';
const MIB = 1024 * 1024;

export async function measure(system, { workers, jobs, window = 4, warmup = 8 }) {
  const pool = await system.create({ workers, binary: true });
  try {
    const payload = randomFillSync(Buffer.allocUnsafe(MIB));
    const run = async (job) => {
      const value = await pool.run(job);
      const length = value?.byteLength ?? value?.data?.length;
      if (length !== MIB) throw new Error(`expected 1 MiB back, got ${String(length)}`);
    };
    await drive(run, warmup, window, () => payload);
    const start = performance.now();
    await drive(run, jobs, window, () => payload);
    const seconds = (performance.now() - start) / 1000;
    return { mibPerSec: jobs / seconds };
  } finally {
    await pool.close();
  }
}
