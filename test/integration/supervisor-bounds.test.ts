// The supervisor's bounds: timers, queue limits, drain, spawn failures, external kills while
// starting, a worker's own child processes, and signals sent to the parent's whole group.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, Prefork, type WorkerExitEvent } from '../../dist/index.js';
import { fixture, isAlive, sleep, track, waitFor } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'forkpool-bounds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const TOO_LONG = 2 ** 31;

function runScript(script: string, options: { detached?: boolean } = {}) {
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, output: () => stdout };
}

describe('timers', () => {
  for (const option of ['timeout', 'startTimeout', 'idleTimeout', 'killTimeout', 'callbackTimeout'] as const) {
    it(`${option} of 2^31 ms or more is refused, naming the limit`, () => {
      expect(() => new Pool({ worker: fixture('echo.mjs'), [option]: TOO_LONG })).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(new RegExp(`${option}.*2147483647`)) }),
      );
    });
  }

  it('a per-job timeout of 2^31 ms is refused; 30 days minus a bit is honoured (the job is not cut short)', async () => {
    const pool = track(new Pool({ worker: fixture('busy.mjs'), workers: 1 }));
    await expect(pool.run({ ms: 0 }, { timeout: TOO_LONG })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
    expect(await pool.run({ ms: 50, value: 'whole' }, { timeout: TOO_LONG - 1 })).toBe('whole');
  });

  it('Prefork refuses childTimeout of 2^31 ms', () => {
    expect(() => new Prefork({ worker: fixture('prefork-echo.mjs'), childTimeout: TOO_LONG })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('childTimeout') }),
    );
  });
});

describe('queue bounds and drain', () => {
  it('maxQueue: 0 is refused', () => {
    expect(() => new Pool({ worker: fixture('echo.mjs'), maxQueue: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('maxQueue') }));
  });

  it('drain fires when the queue goes from full to having room, not per dispatch', async () => {
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 1 }));
    let drains = 0;
    pool.on('drain', () => drains++);
    await Promise.all(Array.from({ length: 1000 }, (_, i) => pool.run(i)));
    expect(drains).toBe(0);

    const bounded = track(new Pool({ worker: fixture('busy.mjs'), workers: 1, maxQueue: 2 }));
    let boundedDrains = 0;
    bounded.on('drain', () => boundedDrains++);
    await waitFor(() => bounded.stats().idle === 1, 10_000, 'the worker to be ready');
    const jobs = [bounded.run({ ms: 200 }), bounded.run({ ms: 0 }), bounded.run({ ms: 0 })];
    await expect(bounded.run({ ms: 0 })).rejects.toMatchObject({ code: 'ERR_QUEUE_FULL' });
    await bounded.onRoom();
    await Promise.all(jobs);
    await sleep(50);
    expect(boundedDrains).toBe(1);
  });
});

describe('spawn failures and external kills', () => {
  it('spawn failing with EMFILE is a start failure with a coded error, never a parent crash', async () => {
    const { done } = runScript(fixture('emfile-parent.mjs'));
    const { code, stdout, stderr } = await done;
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout.trim().split('\n').at(-1) as string);
    expect(result.outcome.code).toBe('ERR_WORKER_INIT');
    expect(result.outcome.message).toMatch(/EMFILE|spawn/);
  }, 20_000);

  it('workers SIGKILLed while starting are respawned, reported as killed, and never make the pool give up', async () => {
    const pool = track(new Pool({ worker: fixture('slow-init.mjs'), workers: 1, initData: 400, maxStartFailures: 2 }));
    const exits: WorkerExitEvent[] = [];
    pool.on('workerExit', (event) => exits.push(event));
    const errors: Error[] = [];
    pool.on('error', (error) => errors.push(error));
    const job = pool.run('served');
    for (let kill = 0; kill < 4; kill++) {
      await waitFor(() => pool.stats().starting === 1 && pool.pids.length === 1, 10_000, 'a starting worker');
      process.kill(pool.pids[0] as number, 'SIGKILL');
      await waitFor(() => exits.length === kill + 1, 10_000, 'its exit');
    }
    expect(await job).toBe('served');
    expect(exits.map((exit) => exit.reason)).toEqual(['killed', 'killed', 'killed', 'killed']);
    expect(errors).toEqual([]);
    expect(pool.stats().killed).toBe(4);
  }, 30_000);

  it('a job that kills its worker every time is retried with back-off and fails after 1 + maxRetries runs', async () => {
    const pool = track(new Pool({ worker: fixture('chaos-worker.mjs'), workers: 1, maxRetries: 2 }));
    const ledger = join(dir, 'ledger-retries');
    await expect(pool.run({ value: 1, ledger, fault: 'sigsegv' })).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED', attempts: 3 });
    expect(readFileSync(ledger, 'utf8')).toBe('1\n1\n1\n');
    expect(pool.stats()).toMatchObject({ retried: 2, crashed: 3 });
    expect(await pool.run({ value: 2 })).toMatchObject({ value: 2 });
  });

  it('a start that fails while the pool closes is reported as init-failure, not shutdown', async () => {
    const pool = new Pool({ worker: fixture('init-throws.mjs'), workers: 1 });
    const exits: WorkerExitEvent[] = [];
    pool.on('workerExit', (event) => exits.push(event));
    await pool.close();
    expect(exits.map((exit) => exit.reason)).toEqual(['init-failure']);
  });
});

describe("a worker's own child processes stop with it", () => {
  for (const [how, job, stop] of [
    ['closed gracefully', 'return', (pool: Pool) => pool.close()],
    ['timed out', 'spin', undefined],
    ['cancelled', 'hang', undefined],
  ] as const) {
    it(`when the worker is ${how}`, async () => {
      const pidFile = join(dir, `grandchild-${how.replace(' ', '-')}`);
      const pool = track(new Pool({ worker: fixture('spawner.mjs'), workers: 1, killTimeout: 200 }));
      const controller = new AbortController();
      const run = pool.run({ pidFile, after: job }, { timeout: how === 'timed out' ? 500 : 0, signal: controller.signal });
      await waitFor(() => {
        try {
          return readFileSync(pidFile, 'utf8').length > 0;
        } catch {
          return false;
        }
      }, 10_000, 'the job to start its child');
      const grandchild = Number(readFileSync(pidFile, 'utf8'));
      expect(isAlive(grandchild)).toBe(true);
      if (how === 'cancelled') controller.abort();
      await run.catch(() => undefined);
      if (stop) await stop(pool);
      await waitFor(() => !isAlive(grandchild), 5000, `the job's sleep (pid ${grandchild}) to be stopped`);
    });
  }
});

describe('signals to the whole process group', () => {
  it('handleSignals: a SIGTERM to the group lets running jobs finish', async () => {
    const { child, done, output } = runScript(fixture('group-signal-pool.mjs'), { detached: true });
    await waitFor(() => output().includes('running'), 15_000, 'the jobs to be running');
    process.kill(-(child.pid as number), 'SIGTERM');
    const { code, stdout, stderr } = await done;
    expect(code, stderr).toBe(0);
    expect(JSON.parse(stdout.trim().split('\n').at(-1) as string)).toEqual([{ value: 0 }, { value: 1 }]);
  }, 30_000);
});
