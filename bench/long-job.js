/**
 * Issue 12's scheduling repro, as a measurement: 2 workers taught that jobs are tiny (so hundreds
 * go ahead to each), then one 1.5 s synchronous job among 3000 tiny ones, at the first, the middle
 * and the last place. Prints, for each place, how many tiny jobs settled more than 1 s after the
 * burst began (late: the 3000 take a small fraction of that; only a job held by the long one's
 * worker settles so late) and how many of those ran on its worker; run it against another build
 * with FORKPOOL_DIST=<dist> to compare.
 *
 *   npm run build && node bench/long-job.js [rounds=3]
 */
import { fileURLToPath, pathToFileURL } from 'node:url';

const dist = process.env.FORKPOOL_DIST ? pathToFileURL(`${process.env.FORKPOOL_DIST}/index.js`).href : '../dist/index.js';
const { Pool } = await import(dist);
const worker = fileURLToPath(new URL('./workers/long-job.mjs', import.meta.url));
const rounds = Number(process.argv[2] ?? 3);

async function once(at) {
  const pool = new Pool({ worker, workers: 2 });
  try {
    await Promise.all(Array.from({ length: 3000 }, (_, i) => pool.run({ value: i })));
    const start = performance.now();
    let longPid = 0;
    const tiny = [];
    let long;
    for (let i = 0; i < 3000; i++) {
      if (i === at) long = pool.run({ value: 'long', ms: 1500 }).then(({ pid }) => (longPid = pid));
      tiny.push(pool.run({ value: i }).then(({ pid }) => ({ pid, end: performance.now() - start })));
    }
    const ends = await Promise.all(tiny);
    await long;
    const late = ends.filter(({ end }) => end >= 1000);
    return { late: late.length, onItsWorker: late.filter(({ pid }) => pid === longPid).length };
  } finally {
    await pool.close();
  }
}

console.log(`${dist}: a 1.5 s job among 3000 tiny ones, 2 workers, ${rounds} rounds`);
for (const [where, at] of [['first', 0], ['middle', 1500], ['last', 2999]]) {
  const results = [];
  for (let round = 0; round < rounds; round++) results.push(await once(at));
  console.log(`  ${where.padEnd(6)} late: ${results.map((r) => `${r.late} (${r.onItsWorker} on its worker)`).join(', ')}`);
}
