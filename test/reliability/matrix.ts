/**
 * The fault matrix: every stage of a worker's life × every fault, with the outcome we promise.
 * `test/fixtures/fault-worker.mjs` injects the fault named by FAULT_STAGE/FAULT_KIND, once per
 * pool (a token file), so the replacement worker is healthy and we can see the pool serve on.
 * RELIABILITY.md prints this same table; keep them in step.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Pool, type ExitReason, type WorkerExitEvent } from '../../dist/index.js';
import { childPids, fixture, track, waitFor } from '../helpers.js';

export const STAGES = ['load', 'init', 'receive', 'run', 'send', 'idle'] as const;
export const FAULTS = [
  'throw', 'reject', 'exit', 'sigkill', 'sigsegv', 'loop', 'oom', 'unserializable', 'oversized', 'garbage', 'close-channel',
] as const;
export type Stage = (typeof STAGES)[number];
export type Fault = (typeof FAULTS)[number];

/**
 * What the job that met the fault gets:
 * - `fulfilled`: the fault hit no job (it happened before the worker was ready): the job runs on
 *   the replacement worker and succeeds;
 * - `user-error`: the worker's own error, rebuilt in the parent (no forkpool code);
 * - `fulfilled-or-crashed`: an unhandled rejection kills the worker on the next turn of its
 *   event loop, which may be before or after the answer reached the parent;
 * - an error code.
 */
export type JobOutcome = 'fulfilled' | 'user-error' | 'fulfilled-or-crashed' | 'ERR_WORKER_CRASHED' | 'ERR_JOB_TIMEOUT' | 'ERR_UNSERIALIZABLE' | 'ERR_MESSAGE_TOO_LARGE';

export interface Cell {
  job: JobOutcome;
  /** The faulty worker's `workerExit` reason; absent when the worker must survive the fault. */
  exit?: ExitReason;
}

/** A string is a cell that is not meaningful: the reason why. */
export type Expectation = Cell | string;

const CRASH: Cell = { job: 'ERR_WORKER_CRASHED', exit: 'crash' };
/** A SIGKILL looks the same whoever sent it (here the worker itself): reported as `killed`. */
const KILLED: Cell = { job: 'ERR_WORKER_CRASHED', exit: 'killed' };
/** The worker died gracefully before the job started: the job goes back uncharged and runs on the replacement. */
const REQUEUED: Cell = { job: 'fulfilled', exit: 'crash' };
const TIMEOUT: Cell = { job: 'ERR_JOB_TIMEOUT', exit: 'timeout' };
const GARBAGE: Cell = { job: 'ERR_WORKER_CRASHED', exit: 'protocol' };
const START_FAILED: Cell = { job: 'fulfilled', exit: 'init-failure' };
const NOTHING_SENT = 'nothing is sent at this stage';

const startRow = (stage: 'load' | 'init'): Record<Fault, Expectation> => ({
  throw: START_FAILED,
  reject: START_FAILED,
  exit: START_FAILED,
  // Killed from outside (as far as the pool can tell): respawned with back-off, never a failed start.
  sigkill: { job: 'fulfilled', exit: 'killed' },
  sigsegv: START_FAILED,
  // Caught by `startTimeout`: a hang before READY counts as a failed start.
  loop: START_FAILED,
  oom: START_FAILED,
  unserializable: stage === 'load' ? NOTHING_SENT : 'init() returns nothing to the parent',
  oversized: stage === 'load' ? NOTHING_SENT : 'init() returns nothing to the parent',
  garbage: { job: 'fulfilled', exit: 'protocol' },
  'close-channel': START_FAILED,
});

export const MATRIX: Record<Stage, Record<Fault, Expectation>> = {
  load: startRow('load'),
  init: startRow('init'),
  receive: {
    // The job had arrived but not started; the worker said so on its way out (EXITING).
    throw: REQUEUED,
    reject: { job: 'fulfilled-or-crashed', exit: 'crash' },
    exit: REQUEUED,
    sigkill: KILLED,
    sigsegv: CRASH,
    loop: TIMEOUT,
    oom: CRASH,
    // The job itself is the faulty value: the parent refuses it before any worker sees it.
    unserializable: { job: 'ERR_UNSERIALIZABLE' },
    oversized: { job: 'ERR_MESSAGE_TOO_LARGE' },
    garbage: GARBAGE,
    'close-channel': CRASH,
  },
  run: {
    throw: { job: 'user-error' },
    reject: { job: 'user-error' },
    exit: CRASH,
    sigkill: KILLED,
    sigsegv: CRASH,
    loop: TIMEOUT,
    oom: CRASH,
    // The work function's result: checked in the worker before it is sent.
    unserializable: { job: 'ERR_UNSERIALIZABLE' },
    oversized: { job: 'ERR_MESSAGE_TOO_LARGE' },
    garbage: GARBAGE,
    'close-channel': CRASH,
  },
  send: {
    throw: CRASH,
    reject: { job: 'fulfilled-or-crashed', exit: 'crash' },
    // process.exit() while the answer is being written: the exit path finishes that write first.
    exit: { job: 'fulfilled', exit: 'crash' },
    sigkill: KILLED,
    sigsegv: CRASH,
    loop: TIMEOUT,
    oom: CRASH,
    unserializable: 'the result is already encoded when it is sent (see run)',
    oversized: 'the result is already encoded and size-checked when it is sent (see run)',
    garbage: GARBAGE,
    'close-channel': CRASH,
  },
  idle: {
    // Between jobs no job is hit: the worker is replaced and the next job is served.
    throw: { job: 'fulfilled', exit: 'crash' },
    reject: { job: 'fulfilled', exit: 'crash' },
    exit: { job: 'fulfilled', exit: 'crash' },
    sigkill: { job: 'fulfilled', exit: 'killed' },
    sigsegv: { job: 'fulfilled', exit: 'crash' },
    // A worker spinning while idle cannot be told from one that is busy: the next job sent to it
    // is the one that meets the fault, and times out.
    loop: TIMEOUT,
    oom: { job: 'fulfilled', exit: 'crash' },
    unserializable: NOTHING_SENT,
    oversized: NOTHING_SENT,
    garbage: { job: 'fulfilled', exit: 'protocol' },
    // Its answer channel closed, the idle worker can never answer: stopped as broken.
    'close-channel': { job: 'fulfilled', exit: 'protocol' },
  },
};

/** Job timeout for the loop cells: long enough that no healthy job on a loaded machine nears it. */
const LOOP_TIMEOUT_MS = 1000;
/** Start limit for the loop cells at load and init: a healthy start on a loaded machine stays well below. */
const START_TIMEOUT_MS = 3000;
const MAX_MESSAGE = 64 * 1024;
/** Every cell finishes well within this, or fails instead of hanging. */
export const CELL_WATCHDOG_MS = 20_000;

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

async function withWatchdog<T>(work: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`watchdog: ${label} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, hang]);
  } finally {
    clearTimeout(timer);
  }
}

type Settled = { ok: true; value: unknown } | { ok: false; error: { code?: unknown; message?: unknown } };

function checkOutcome(settled: Settled, expected: JobOutcome, stage: Stage, fault: Fault, value: number): void {
  const seen = settled.ok ? `fulfilled ${JSON.stringify(settled.value)}` : `rejected ${String(settled.error.code)}: ${String(settled.error.message)}`;
  const label = `${stage} × ${fault}: got ${seen}`;
  switch (expected) {
    case 'fulfilled':
      expect(settled.ok, label).toBe(true);
      if (settled.ok) expect(settled.value, label).toMatchObject({ value });
      return;
    case 'user-error':
      expect(settled.ok, label).toBe(false);
      if (!settled.ok) {
        expect(settled.error.code, label).toBeUndefined();
        expect(settled.error.message, label).toBe(`fault: ${fault} at ${stage}`);
      }
      return;
    case 'fulfilled-or-crashed':
      if (settled.ok) expect(settled.value, label).toMatchObject({ value });
      else expect(settled.error.code, label).toBe('ERR_WORKER_CRASHED');
      return;
    default:
      expect(settled.ok, label).toBe(false);
      if (!settled.ok) expect(settled.error.code, label).toBe(expected);
  }
}

/** Runs one cell: the faulty job's outcome, then the next job, then no child and no fd left. */
export async function runCell(stage: Stage, fault: Fault, cell: Cell): Promise<void> {
  const fdsBefore = fdCount();
  const dir = mkdtempSync(join(tmpdir(), 'forkpool-fault-'));
  const token = join(dir, 'token');
  writeFileSync(token, '');
  try {
    await withWatchdog(
      (async () => {
        const pool = track(
          new Pool({
            worker: fixture('fault-worker.mjs'),
            workers: 1,
            timeout: fault === 'loop' ? LOOP_TIMEOUT_MS : 0,
            // Only where the hang is before READY; elsewhere a slow start on a loaded machine must not count.
            startTimeout: fault === 'loop' && (stage === 'load' || stage === 'init') ? START_TIMEOUT_MS : undefined,
            killTimeout: 200,
            maxMessageSize: MAX_MESSAGE,
            execArgv: fault === 'oom' ? ['--max-old-space-size=32'] : [],
            env: { ...process.env, FAULT_STAGE: stage, FAULT_KIND: fault, FAULT_TOKEN: token, FAULT_SIZE: String(4 * MAX_MESSAGE) },
          }),
        );
        const exits: WorkerExitEvent[] = [];
        pool.on('workerExit', (event) => exits.push(event));

        let value = 1;
        let hit: Promise<unknown>;
        if (stage === 'receive' && fault === 'unserializable') {
          hit = pool.run({ value: () => 1 });
        } else if (stage === 'receive' && fault === 'oversized') {
          hit = pool.run({ value: 'x'.repeat(4 * MAX_MESSAGE) });
        } else if (stage === 'idle') {
          expect(await pool.run({ value: 1 })).toMatchObject({ value: 1 });
          await waitFor(() => !existsSync(token), 5000, 'the idle fault to fire');
          if (fault !== 'loop') await waitFor(() => exits.length > 0, 5000, 'the idle worker to exit');
          value = 2;
          hit = pool.run({ value });
        } else {
          hit = pool.run({ value });
        }
        const settled: Settled = await hit.then(
          (v) => ({ ok: true as const, value: v }),
          (error: Extract<Settled, { ok: false }>['error']) => ({ ok: false as const, error }),
        );
        checkOutcome(settled, cell.job, stage, fault, value);

        if (cell.exit) {
          await waitFor(() => exits.some((event) => event.reason === cell.exit), 5000, `a workerExit with reason ${cell.exit}`);
        }
        // The pool still serves.
        expect(await pool.run({ value: 99 })).toMatchObject({ value: 99 });
        // Only the faulty worker was replaced; a fault that is the job's own never costs a worker.
        if (!cell.exit) expect(exits).toEqual([]);
        else expect(exits.map((event) => event.reason)).toEqual(exits.map(() => cell.exit));

        await pool.close();
        expect(childPids()).toEqual([]);
      })(),
      CELL_WATCHDOG_MS,
      `${stage} × ${fault}`,
    );
    // Channel and stderr pipes of every worker, and the pool's own handles, are closed.
    await waitFor(() => fdCount() <= fdsBefore, 2000, `fds back to ${fdsBefore} (now ${fdCount()})`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Declares the matrix rows of `stages` as tests (used by the two halves, which run in parallel). */
export function describeMatrix(stages: Stage[]): void {
  for (const stage of stages) {
    describe(`fault matrix: ${stage}`, () => {
      for (const fault of FAULTS) {
        const cell = MATRIX[stage][fault];
        // Not-meaningful cells are listed (todo) with their reason, never counted as passing.
        if (typeof cell === 'string') it.todo(`${fault}: n/a — ${cell}`);
        else it(`${fault} → ${cell.job}${cell.exit ? ` (worker exit: ${cell.exit})` : ''}`, () => runCell(stage, fault, cell));
      }
    });
  }
}
