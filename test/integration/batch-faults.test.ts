// The fault matrix's batch dimension: a fault at the first, a middle and the last of 80 tiny
// synchronous jobs sent ahead to one worker (answers leave in batches). A ledger file counts how
// many times each job really ran.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, type WorkerExitEvent } from '../../dist/index.js';
import { fixture, track } from '../helpers.js';

const JOBS = 80;
const POSITIONS = { first: 0, middle: 40, last: JOBS - 1 } as const;
/** Every fault the child's exit path sees: the child says which job it was running. */
const GRACEFUL = ['exit', 'uncaught', 'reject', 'sigterm'] as const;
/** Deaths that leave no word: the parent finds the culprit by re-running suspects alone. */
const HARD = ['sigkill', 'sigsegv', 'abort'] as const;

const dir = mkdtempSync(join(tmpdir(), 'forkpool-batch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let cell = 0;

function runs(ledger: string): Map<number, number> {
  const counts = new Map<number, number>();
  let text = '';
  try {
    text = readFileSync(ledger, 'utf8');
  } catch {
    // nothing ran
  }
  for (const line of text.split('\n')) if (line) counts.set(Number(line), (counts.get(Number(line)) ?? 0) + 1);
  return counts;
}

async function batchWithFault(fault: string, at: number) {
  const ledger = join(dir, `ledger-${cell++}`);
  // prefetch above the batch: all 80 are sent ahead to the one worker at once.
  const pool = track(new Pool({ worker: fixture('chaos-worker.mjs'), workers: 1, maxRetries: 0, prefetch: 128 }));
  const exits: WorkerExitEvent[] = [];
  pool.on('workerExit', (event) => exits.push(event));
  // Teach the pool that jobs are tiny, so the 80 are sent ahead together.
  await Promise.all(Array.from({ length: 300 }, (_, i) => pool.run({ value: -1 - i })));
  const settled = await Promise.allSettled(
    Array.from({ length: JOBS }, (_, i) => pool.run({ value: i, ledger, ...(i === at ? { fault } : {}) })),
  );
  await pool.close();
  return { settled, runs: runs(ledger), exits, stats: pool.stats() };
}

describe('batch faults: graceful deaths charge exactly the running job', () => {
  for (const fault of GRACEFUL) {
    for (const [where, at] of Object.entries(POSITIONS)) {
      it(`${fault} at the ${where} of ${JOBS} jobs sent ahead`, async () => {
        const { settled, runs: counts, exits } = await batchWithFault(fault, at);
        expect(exits.length).toBeGreaterThanOrEqual(1);
        settled.forEach((outcome, i) => {
          // process.exit() in a job fails that job; an uncaught exception, an unhandled rejection
          // or a SIGTERM raised by a job happen after it answered, between jobs: no job is charged.
          if (i === at && fault === 'exit') {
            expect(outcome.status, `job ${i}`).toBe('rejected');
            if (outcome.status === 'rejected') expect(outcome.reason.code).toBe('ERR_WORKER_CRASHED');
          } else {
            expect(outcome.status, `job ${i}: ${outcome.status === 'rejected' ? outcome.reason.message : ''}`).toBe('fulfilled');
          }
          // No job runs more than 1 + maxRetries (= 1) times.
          expect(counts.get(i), `runs of job ${i}`).toBe(1);
        });
      });
    }
  }
});

describe('batch faults: hard deaths fail only the culprit', () => {
  for (const fault of HARD) {
    for (const [where, at] of Object.entries(POSITIONS)) {
      it(`${fault} at the ${where} of ${JOBS} jobs sent ahead`, async () => {
        const { settled, runs: counts, exits } = await batchWithFault(fault, at);
        settled.forEach((outcome, i) => {
          if (i === at) {
            expect(outcome.status, `job ${i}`).toBe('rejected');
            if (outcome.status === 'rejected') expect(outcome.reason.code).toBe('ERR_WORKER_CRASHED');
          } else {
            expect(outcome.status, `job ${i}: ${outcome.status === 'rejected' ? outcome.reason.message : ''}`).toBe('fulfilled');
          }
          // An innocent job runs again only when its answer was lost with the worker (at most
          // once more); the culprit runs once among the batch and once alone, where it is charged.
          expect(counts.get(i) ?? 0, `runs of job ${i}`).toBeLessThanOrEqual(2);
        });
        // Twice when it died among unanswered others (once in the batch, once alone), else once.
        expect([1, 2]).toContain(counts.get(at));
        // One death per run of the culprit: the one in the batch, and the one alone.
        const reasons = exits.filter((exit) => exit.reason !== 'shutdown').map((exit) => exit.reason);
        expect(reasons).toEqual(Array(counts.get(at)).fill(fault === 'sigkill' ? 'killed' : 'crash'));
      });
    }
  }
});

describe('batch faults: the issue repros', () => {
  it('1 worker, maxRetries 0: 20 tiny jobs then one that calls process.exit: only that job fails, each runs once', async () => {
    const ledger = join(dir, 'ledger-exit-after-20');
    const pool = track(new Pool({ worker: fixture('chaos-worker.mjs'), workers: 1, maxRetries: 0, prefetch: 128 }));
    await Promise.all(Array.from({ length: 300 }, (_, i) => pool.run({ value: -1 - i })));
    const settled = await Promise.allSettled(Array.from({ length: 21 }, (_, i) => pool.run({ value: i, ledger, ...(i === 20 ? { fault: 'exit' } : {}) })));
    expect(settled.slice(0, 20).every((o) => o.status === 'fulfilled')).toBe(true);
    expect(settled[20]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_WORKER_CRASHED' } });
    expect([...runs(ledger).values()].every((n) => n === 1)).toBe(true);
    expect(pool.stats()).toMatchObject({ spawned: 2, crashed: 1, failed: 1 });
    await pool.close();
  });

  it('a timeout among 5000 tiny jobs on 2 workers fails only the job that spins', async () => {
    const ledger = join(dir, 'ledger-timeout');
    const pool = track(new Pool({ worker: fixture('chaos-worker.mjs'), workers: 2, timeout: 500, killTimeout: 200, prefetch: 512 }));
    await Promise.all(Array.from({ length: 300 }, (_, i) => pool.run({ value: -1 - i })));
    const spinner = 2500;
    const settled = await Promise.allSettled(
      Array.from({ length: 5000 }, (_, i) => pool.run({ value: i, ledger, ...(i === spinner ? { fault: 'spin' } : {}) })),
    );
    const failed = settled.flatMap((outcome, i) => (outcome.status === 'rejected' ? [[i, outcome.reason.code]] : []));
    expect(failed).toEqual([[spinner, 'ERR_JOB_TIMEOUT']]);
    expect(pool.stats().timedOut).toBe(1);
    for (const [job, count] of runs(ledger)) expect(count, `runs of job ${job}`).toBeLessThanOrEqual(2);
    await pool.close();
  });

  it('a long synchronous job among 3000 tiny ones holds back at most prefetch - 1 jobs, and a second one almost none', async () => {
    const pool = track(new Pool({ worker: fixture('chaos-worker.mjs'), workers: 2, prefetch: 32 }));
    await Promise.all(Array.from({ length: 300 }, (_, i) => pool.run({ value: -1 - i })));
    const order: number[] = [];
    const [first, second] = [100, 1600];
    // The second long job is submitted while the memory of the first is fresh.
    const jobs = Array.from({ length: 1500 }, (_, i) => pool.run({ value: i, ...(i === first ? { ms: 1000 } : {}) }).then(() => order.push(i)));
    await jobs[first];
    jobs.push(...Array.from({ length: 1500 }, (_, k) => 1500 + k).map((i) => pool.run({ value: i, ...(i === second ? { ms: 1000 } : {}) }).then(() => order.push(i))));
    await Promise.all(jobs);
    // Jobs that settled after a long one waited behind it on its worker while the other served.
    const behind = (long: number, upTo: number) => order.slice(order.indexOf(long) + 1).filter((i) => i < upTo).length;
    expect(behind(first, 1500)).toBeLessThanOrEqual(31);
    // Right after the first, the pool sends ahead one job at a time: the second strands none or one.
    expect(behind(second, 3000)).toBeLessThanOrEqual(1);
    await pool.close();
  });
});
