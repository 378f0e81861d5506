/**
 * 1 MiB payloads to the worker and back, in two shapes (a Buffer, or `{ id, data: Buffer }`) and
 * two loads (a window of jobs kept in flight, or bursts of jobs submitted at once). Every result
 * is checked (length, and the id for objects). Reports MiB/s per direction and all processes' CPU
 * per job (ms), which a loaded machine disturbs less than wall time.
 */
import { randomFillSync } from 'node:crypto';
import { cpuWindow } from './cpu.js';
import { ownPeakRssMiB } from './proc.js';
import { drive } from './drive.js';

export const MIB = 1024 * 1024;

const byteLength = (data) => data?.byteLength ?? data?.data?.length; // the latter: a JSON-serialised Buffer

function checker(shape) {
  return (value, id) => {
    const length = byteLength(shape === 'object' ? value?.data : value);
    if (length !== MIB) throw new Error(`expected 1 MiB back, got ${String(length)}`);
    if (shape === 'object' && value.id !== id) throw new Error(`expected id ${id} back, got ${String(value?.id)}`);
  };
}

/** `load`: { window, jobs, warmup } or { burst, bursts, warmupBursts }. */
export async function measureMib(system, { workers, shape, load }) {
  const pool = await system.create({ workers, binary: true, shape });
  try {
    const payload = randomFillSync(Buffer.allocUnsafe(MIB));
    const check = checker(shape);
    const makeJob = shape === 'object' ? (id) => ({ id, data: payload }) : () => payload;
    const runOne = async (id) => check(await pool.run(makeJob(id)), id);
    const burst = (count) => Promise.all(Array.from({ length: count }, (_, i) => runOne(i)));
    let jobs;
    let timed;
    if (load.burst) {
      for (let i = 0; i < load.warmupBursts; i++) await burst(load.burst);
      jobs = load.burst * load.bursts;
      timed = async () => {
        for (let i = 0; i < load.bursts; i++) await burst(load.burst);
      };
    } else {
      const run = (id) => runOne(id);
      await drive(run, load.warmup, load.window, (i) => i);
      jobs = load.jobs;
      timed = () => drive(run, load.jobs, load.window, (i) => i);
    }
    const end = cpuWindow();
    const start = performance.now();
    await timed();
    const seconds = (performance.now() - start) / 1000;
    const { parentCpu, childCpu, after } = end();
    const workerRss = after.map((c) => c.peakRssMiB).filter((v) => v !== undefined);
    return {
      // Peaks over the whole run (warm-up included): what holding up to 200 MiB of jobs costs.
      parentPeakRssMiB: ownPeakRssMiB(),
      workerPeakRssMiB: workerRss.length ? Math.max(...workerRss) : undefined,
      mibPerSec: jobs / seconds,
      cpuMsPerMiB: ((parentCpu + childCpu) / jobs) * 1e3,
      parentCpuMsPerMiB: (parentCpu / jobs) * 1e3,
    };
  } finally {
    await pool.close();
  }
}
