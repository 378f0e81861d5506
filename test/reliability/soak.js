// The long chaos soak: `npm run soak` (builds first). Prints the figures as a table and JSON.
// Options (environment): SOAK_JOBS (default 20000), SOAK_WORKERS (4), SOAK_KILL_MS (100), SOAK_JOB_MS (1).
// Any worker is killed, starting ones included (see chaos.js).
import { Pool } from '../../dist/index.js';
import { chaos } from './chaos.js';

const config = {
  jobs: Number(process.env.SOAK_JOBS ?? 20_000),
  workers: Number(process.env.SOAK_WORKERS ?? 4),
  killEveryMs: Number(process.env.SOAK_KILL_MS ?? 100),
  jobMs: Number(process.env.SOAK_JOB_MS ?? 1),
};

const rows = [];
let failed = false;
for (const maxRetries of [20, 0]) {
  const figures = await chaos({ Pool, ...config, maxRetries });
  const settledOnce = figures.lost === 0 && figures.duplicates === 0 && figures.wrong === 0 && figures.unexpected.length === 0;
  const ok = settledOnce && figures.childrenLeft === 0 && (maxRetries > 0 ? figures.fulfilled === figures.jobs : figures.fulfilled + figures.crashed === figures.jobs);
  if (!ok) failed = true;
  rows.push({ retries: maxRetries, ...figures, unexpected: figures.unexpected.join(',') || '-', ok });
}
console.table(rows.map(({ retries, jobs, kills, killed, fulfilled, crashed, lost, duplicates, ranTwiceOrMore, maxRuns, childrenLeft, durationMs, ok }) => ({ retries, jobs, kills, killed, fulfilled, crashed, lost, duplicates, ranTwiceOrMore, maxRuns, childrenLeft, durationMs, ok })));
console.log(JSON.stringify({ node: process.version, config, rows }));
process.exitCode = failed ? 1 : 0;
