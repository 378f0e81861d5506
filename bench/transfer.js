/**
 * What `run(job, { transfer: [job.buffer] })` saves: 200 distinct 1 MiB Buffer jobs submitted at
 * once (as an application holding its own buffers would), echoed back, snapshotted at `run()` (the
 * default) or handed over. The main bench's jobs share one buffer, so this has a script of its own;
 * runs alternate, each in this one process, after an unmeasured burst of each.
 *
 *   npm run build && node bench/transfer.js [rounds=3]
 */
import { randomFillSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Pool } from '../dist/index.js';

const MIB = 1024 * 1024;
const BURST = 200;
const rounds = Number(process.argv[2] ?? 3);
const pool = new Pool({ worker: fileURLToPath(new URL('./workers/work.mjs', import.meta.url)), workers: 2 });
const seed = randomFillSync(Buffer.allocUnsafe(MIB));
// Fresh buffers for every burst, made before it is timed: the caller's own data.
const makeJobs = () => Array.from({ length: BURST }, () => Buffer.from(seed));

async function burst(jobs, transfer) {
  const results = await Promise.all(jobs.map((job) => pool.run(job, transfer ? { transfer: [job.buffer] } : {})));
  for (const result of results) if (result.length !== MIB) throw new Error(`expected 1 MiB back, got ${result.length}`);
}

const totals = { copy: { seconds: 0, cpuMs: 0 }, transfer: { seconds: 0, cpuMs: 0 } };
await burst(makeJobs(), false);
await burst(makeJobs(), true);
for (let round = 0; round < rounds; round++) {
  for (const mode of ['copy', 'transfer']) {
    const jobs = makeJobs();
    const cpu = process.cpuUsage();
    const start = performance.now();
    await burst(jobs, mode === 'transfer');
    const used = process.cpuUsage(cpu);
    totals[mode].seconds += (performance.now() - start) / 1000;
    totals[mode].cpuMs += (used.user + used.system) / 1000;
  }
}
await pool.close();
const jobs = rounds * BURST;
const line = (mode) => ({ mode, mibPerSec: Math.round(jobs / totals[mode].seconds), parentCpuMsPerJob: Number((totals[mode].cpuMs / jobs).toFixed(2)) });
console.log(JSON.stringify({ burst: BURST, rounds, results: [line('copy'), line('transfer')] }));
