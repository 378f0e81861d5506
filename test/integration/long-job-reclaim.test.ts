// Issue 12's scheduling point: a long synchronous job never holds jobs sent ahead to its worker
// while another worker could run them. The worker's reclaim thread hands them back during the long
// job (child/reclaim-thread.ts), and the start gate (child/start-gate.ts) makes each run exactly
// once. A ledger file records every real execution: where, when, how many times.
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
const newLedger = () => join(dir, `ledger-${ledgers++}`);

interface Run {
  pid: number;
  start: number;
  end: number;
}

function runsOf(ledger: string): Map<string, Run[]> {
  const runs = new Map<string, Run[]>();
  for (const line of readFileSync(ledger, 'utf8').split('\n')) {
    if (!line) continue;
    const [value, pid, start, end] = line.split(' ') as [string, string, string, string];
    const list = runs.get(value) ?? [];
    list.push({ pid: Number(pid), start: Number(start), end: Number(end) });
    runs.set(value, list);
  }
  return runs;
}

function onceEach(runs: Map<string, Run[]>): string[] {
  return [...runs].filter(([, list]) => list.length !== 1).map(([value, list]) => `${value} ran ${list.length} times`);
}

async function warmedPool(options: { workers?: number; maxRetries?: number } = {}): Promise<{ pool: Pool; exits: WorkerExitEvent[] }> {
  const pool = track(new Pool({ worker: WORKER, workers: options.workers ?? 2, maxRetries: options.maxRetries ?? 0 }));
  const exits: WorkerExitEvent[] = [];
  pool.on('workerExit', (event: WorkerExitEvent) => exits.push(event));
  // Teach the pool that jobs are tiny: it then sends hundreds ahead to each worker.
  await Promise.all(Array.from({ length: 3000 }, (_, i) => pool.run({ value: `warm-${i}` })));
  return { pool, exits };
}

describe('a long synchronous job among tiny ones', () => {
  for (const [where, at] of [
    ['first', 0],
    ['in the middle', 1500],
    ['last', 2999],
  ] as const) {
    it(`${where}: no tiny job waits for it to end, and each runs once`, async () => {
      const { pool, exits } = await warmedPool();
      const ledger = newLedger();
      const jobs: Array<Promise<unknown>> = [];
      const settled: string[] = [];
      for (let i = 0; i < 3000; i++) {
        if (i === at) jobs.push(pool.run({ value: 'long', ms: 1500, ledger }).then(() => settled.push('long')));
        jobs.push(pool.run({ value: `tiny-${i}`, ledger }).then(() => settled.push(`tiny-${i}`)));
      }
      await Promise.all(jobs);
      // Nor does any settle after it: the answers its worker finished just before it started
      // are sent by the reclaim thread (a long job would otherwise hold the unwritten batch).
      expect(settled.slice(settled.indexOf('long') + 1), 'tiny jobs that settled after the long one').toEqual([]);
      const runs = runsOf(ledger);
      expect(onceEach(runs)).toEqual([]);
      expect(runs.size).toBe(3001);
      const [long] = runs.get('long') as [Run];
      // Every tiny job ran before the long one ended: none was held behind it, though hundreds
      // had been sent ahead to its worker (the other one ran them).
      const held = [...runs].filter(([value, [run]]) => value !== 'long' && (run as Run).start >= long.end).map(([value]) => value);
      expect(held, 'tiny jobs that started only after the long job ended').toEqual([]);
      expect(exits).toEqual([]);
      expect(pool.stats()).toMatchObject({ completed: 3000 + 3001, failed: 0 });
    }, 60_000);
  }

  it('rounds of long and tiny jobs of every length, on 3 workers: each job runs exactly once', async () => {
    const { pool, exits } = await warmedPool({ workers: 3 });
    const ledger = newLedger();
    let n = 0;
    for (let round = 0; round < 10; round++) {
      const jobs: Array<Promise<unknown>> = [];
      for (let i = 0; i < 600; i++) {
        // Mostly tiny, some of a few ms (the gate closes while they end), a few long ones.
        const ms = i % 150 === round ? 120 : i % 17 === 0 ? (i % 7) * 1.5 : 0;
        jobs.push(pool.run({ value: `job-${n++}`, ms, ledger }));
      }
      await Promise.all(jobs);
    }
    const runs = runsOf(ledger);
    expect(runs.size).toBe(n);
    expect(onceEach(runs)).toEqual([]);
    expect(exits).toEqual([]);
    expect(pool.stats()).toMatchObject({ completed: 3000 + n, failed: 0 });
  }, 90_000);

  it('one AbortSignal shared by jobs sent ahead of a long job: each settles once, none waits the long job out to run', async () => {
    const { pool, exits } = await warmedPool();
    const ledger = newLedger();
    const controller = new AbortController();
    const long = pool.run({ value: 'long', ms: 1500, ledger });
    const shared = Array.from({ length: 2000 }, (_, i) => pool.run({ value: `tiny-${i}`, ledger }, { signal: controller.signal }));
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.timeOrigin + performance.now();
      controller.abort(new Error('enough'));
    }, 10);
    const settled = await Promise.allSettled(shared);
    await long;
    const runs = runsOf(ledger);
    expect(onceEach(runs)).toEqual([]);
    for (const [i, outcome] of settled.entries()) {
      if (outcome.status === 'fulfilled') expect(runs.has(`tiny-${i}`), `tiny-${i} fulfilled`).toBe(true);
      else expect(outcome.reason.code, `tiny-${i}`).toBe('ABORT_ERR');
    }
    // A job sent ahead may still start in the moment before its worker reads the RELEASE (it runs
    // synchronous jobs back to back for up to 2 ms), never after waiting out the long job.
    const [longRun] = runs.get('long') as [Run];
    const late = [...runs].filter(([value, [run]]) => value !== 'long' && (run as Run).start > abortedAt + 500).map(([value, [run]]) => `${value} started ${Math.round((run as Run).start - abortedAt)} ms after the abort, pid ${run?.pid} (the long job's: ${longRun.pid})`);
    expect(late).toEqual([]);
    // A job aborted while running stops its worker (reason 'cancel'); no other exit.
    expect(exits.filter((exit) => exit.reason !== 'cancel')).toEqual([]);
  }, 60_000);

  it('a worker killed (SIGKILL) after its jobs were handed back: nothing is lost, nothing runs twice but the long job', async () => {
    const { pool, exits } = await warmedPool({ maxRetries: 1 });
    const ledger = newLedger();
    const startFile = newLedger();
    const long = pool.run({ value: 'long', ms: 1500, ledger, startFile }).then((value) => value as { pid: number });
    const tiny = Array.from({ length: 3000 }, (_, i) => pool.run({ value: `tiny-${i}`, ledger }));
    await Promise.all(tiny);
    // The tiny ones are done while the long one runs: kill its worker, as an operator would.
    expect(runsOf(ledger).has('long')).toBe(false);
    const victim = Number(readFileSync(startFile, 'utf8').trim());
    process.kill(victim, 'SIGKILL');
    const { pid } = await long;
    expect(pid).not.toBe(victim);
    const runs = runsOf(ledger);
    // The long job is retried (it died with its worker, charged one attempt); every tiny one ran once.
    expect(onceEach(new Map([...runs].filter(([value]) => value !== 'long')))).toEqual([]);
    expect(runs.size).toBe(3001);
    expect(runs.get('long')?.length).toBe(1);
    expect(exits.map((exit) => exit.reason)).toEqual(['killed']);
  }, 60_000);
});
