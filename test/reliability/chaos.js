// The chaos run shared by the CI test (chaos.test.ts) and the long soak (soak.js): many small
// jobs while a random serving worker is SIGKILLed every few tens of milliseconds.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHAOS_WORKER = fileURLToPath(new URL('../fixtures/rel-worker.mjs', import.meta.url));

function parentOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return 0;
  }
}

/** Direct children of this process, from /proc. */
export function children() {
  return readdirSync('/proc').filter((entry) => /^\d+$/.test(entry) && parentOf(Number(entry)) === process.pid).map(Number);
}

/**
 * Runs `jobs` jobs through a pool whose workers are killed at random; returns the figures.
 * Every job is counted by its index: `lost` (never settled) and `duplicates` (settled twice)
 * must both be 0.
 */
export async function chaos({ Pool, jobs, workers = 4, killEveryMs = 25, maxRetries = 0, jobMs = 1 }) {
  const pool = new Pool({ worker: CHAOS_WORKER, workers, maxRetries });
  // Only workers that already answered are shot: killing one still starting is a failed start,
  // which is crash-loop protection's business, not this test's. And one serving worker is always
  // spared: a respawn costs hundreds of ms on a busy machine, far more than the kill interval,
  // so shooting every worker would measure spawn speed rather than job safety.
  const served = new Set();
  let kills = 0;
  const started = performance.now();
  const killer = setInterval(() => {
    const live = pool.pids.filter((pid) => served.has(pid) && parentOf(pid) === process.pid);
    if (live.length < 2) return;
    const pid = live[Math.floor(Math.random() * live.length)];
    try {
      process.kill(pid, 'SIGKILL');
      served.delete(pid);
      kills++;
    } catch {
      // It exited meanwhile.
    }
  }, killEveryMs);
  const settled = new Uint32Array(jobs);
  let fulfilled = 0;
  let crashed = 0;
  let wrong = 0;
  const unexpected = [];
  try {
    pool.add(...Array.from({ length: jobs }, (_, i) => ({ op: 'busy', ms: jobMs, value: i })));
    for await (const outcome of pool.results()) {
      const index = outcome.job.value;
      settled[index]++;
      if (outcome.status === 'fulfilled') {
        fulfilled++;
        served.add(outcome.value.pid);
        if (outcome.value.value !== index) wrong++;
      } else if (outcome.reason?.code === 'ERR_WORKER_CRASHED') {
        crashed++;
      } else if (unexpected.length < 10) {
        unexpected.push(String(outcome.reason?.code ?? outcome.reason));
      }
    }
  } finally {
    clearInterval(killer);
    await pool.close();
  }
  const durationMs = Math.round(performance.now() - started);
  let lost = 0;
  let duplicates = 0;
  for (const count of settled) {
    if (count === 0) lost++;
    if (count > 1) duplicates++;
  }
  return {
    jobs,
    workers,
    maxRetries,
    killEveryMs,
    kills,
    fulfilled,
    crashed,
    wrong,
    unexpected,
    lost,
    duplicates,
    retried: pool.stats().retried,
    spawned: pool.stats().spawned,
    childrenLeft: children().length,
    durationMs,
  };
}
