// The chaos run shared by the CI test (chaos.test.ts) and the long soak (soak.js): many small
// synchronous jobs (answered in batches) while any worker of the pool, starting ones included,
// is SIGKILLed at random, as an OOM killer or an operator would.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHAOS_WORKER = fileURLToPath(new URL('../fixtures/chaos-worker.mjs', import.meta.url));

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
export async function chaos({ Pool, jobs, workers = 4, killEveryMs = 100, maxRetries = 0, jobMs = 1, longEvery = 0, longMs = 0 }) {
  const pool = new Pool({ worker: CHAOS_WORKER, workers, maxRetries });
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-chaos-'));
  const ledger = join(dir, 'ledger');
  // Any worker is shot, starting ones too: a kill from outside is never the module's fault, so
  // the pool must respawn for as long as it lives and never give up with ERR_WORKER_INIT.
  let kills = 0;
  const started = performance.now();
  const killer = setInterval(() => {
    const live = pool.pids.filter((pid) => parentOf(pid) === process.pid);
    if (live.length === 0) return;
    const pid = live[Math.floor(Math.random() * live.length)];
    try {
      process.kill(pid, 'SIGKILL');
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
    // With `longEvery`, every such job is long (`longMs`) among the short ones sent ahead around it.
    pool.add(...Array.from({ length: jobs }, (_, i) => ({ ms: longEvery > 0 && i % longEvery === 0 ? longMs : jobMs, value: i, ledger })));
    for await (const outcome of pool.results()) {
      const index = outcome.job.value;
      settled[index]++;
      if (outcome.status === 'fulfilled') {
        fulfilled++;
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
  // How often each job really ran: more than once only when its answer was lost in a hard death.
  const runs = new Uint32Array(jobs);
  for (const line of readFileSync(ledger, 'utf8').split('\n')) if (line) runs[Number(line)]++;
  rmSync(dir, { recursive: true, force: true });
  let ranTwiceOrMore = 0;
  let maxRuns = 0;
  for (const count of runs) {
    if (count > 1) ranTwiceOrMore++;
    maxRuns = Math.max(maxRuns, count);
  }
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
    ranTwiceOrMore,
    maxRuns,
    killed: pool.stats().killed,
    retried: pool.stats().retried,
    spawned: pool.stats().spawned,
    childrenLeft: children().length,
    durationMs,
  };
}
