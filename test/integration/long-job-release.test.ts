// Issue 12's scheduling point: a long synchronous job never holds the jobs sent ahead of it to its
// worker while another worker could run them. The worker's release thread hands them back during
// the long job (child/release-thread.ts); the claim table makes sure each runs exactly once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, type WorkerExitEvent } from '../../dist/index.js';
import { fixture, track } from '../helpers.js';

const WORKER = fixture('long-job-worker.mjs');
const dir = mkdtempSync(join(tmpdir(), 'forkpool-long-job-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let ledgers = 0;

function runsOf(ledger: string): Map<string, number> {
  const runs = new Map<string, number>();
  for (const line of readFileSync(ledger, 'utf8').split('\n')) if (line) runs.set(line, (runs.get(line) ?? 0) + 1);
  return runs;
}

async function warmedPool(): Promise<{ pool: Pool; exits: WorkerExitEvent[] }> {
  const pool = track(new Pool({ worker: WORKER, workers: 2 }));
  const exits: WorkerExitEvent[] = [];
  pool.on('workerExit', (event: WorkerExitEvent) => exits.push(event));
  // Teach the pool that jobs are tiny: it then sends hundreds ahead to each worker.
  await Promise.all(Array.from({ length: 2000 }, (_, i) => pool.run({ value: `warm-${i}` })));
  return { pool, exits };
}

describe('a long synchronous job among tiny ones', () => {
  it('holds none of the jobs sent ahead of it: the other worker runs them all before it ends, each once', async () => {
    const { pool, exits } = await warmedPool();
    const ledger = join(dir, `ledger-${ledgers++}`);
    const start = performance.now();
    const long = pool.run({ value: 'long', ms: 3000, ledger }).then((result) => ({ result, at: performance.now() - start }));
    const tiny = Array.from({ length: 3000 }, (_, i) => pool.run({ value: `tiny-${i}`, ledger }).then((result) => ({ result, at: performance.now() - start })));
    const done = await Promise.all(tiny);
    const longDone = await long;
    const longPid = longDone.result.pid;
    // Every tiny job finished before the long one: none waited behind it.
    const late = done.filter(({ at }) => at >= longDone.at);
    expect(late.length, `${late.length} tiny jobs finished after the 3 s job`).toBe(0);
    // Some had been sent to the long job's worker: they were handed back and ran on the other.
    expect(done.filter(({ result }) => result.pid === longPid).length).toBeLessThan(3000);
    const runs = runsOf(ledger);
    expect(runs.size).toBe(3001);
    expect([...runs.values()].every((count) => count === 1)).toBe(true);
    expect(exits).toEqual([]);
  }, 60_000);

  it('jobs handed back in rounds of long and tiny jobs on both workers run exactly once', async () => {
    const { pool, exits } = await warmedPool();
    const ledger = join(dir, `ledger-${ledgers++}`);
    for (let round = 0; round < 8; round++) {
      const jobs = [
        pool.run({ value: `long-a-${round}`, ms: 150, ledger }),
        ...Array.from({ length: 300 }, (_, i) => pool.run({ value: `tiny-${round}-${i}`, ledger })),
        pool.run({ value: `long-b-${round}`, ms: 150, ledger }),
        ...Array.from({ length: 300 }, (_, i) => pool.run({ value: `tiny-${round}-b-${i}`, ledger })),
      ];
      await Promise.all(jobs);
    }
    const runs = runsOf(ledger);
    expect(runs.size).toBe(8 * 602);
    const twice = [...runs].filter(([, count]) => count !== 1);
    expect(twice, 'jobs that ran more than once').toEqual([]);
    expect(pool.stats()).toMatchObject({ completed: 2000 + 8 * 602, failed: 0 });
    expect(exits).toEqual([]);
  }, 60_000);
});
