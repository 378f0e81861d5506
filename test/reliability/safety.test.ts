// Orphan safety (workers outlive no parent) and crash-loop protection (a broken module gives up).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { Pool, type WorkerExitEvent } from '../../dist/index.js';
import { childPids, fixture, track, waitFor } from '../helpers.js';

/** Gone, or a zombie nobody reaped yet (an exited process, whoever its new parent is). */
function isGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

describe('orphan safety', () => {
  it('every worker exits within 2 s of its parent being SIGKILLed, spinning ones included', async () => {
    const parent = spawn(process.execPath, [fixture('rel-orphan-parent.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((resolve) => parent.once('exit', resolve));
    let pids: number[] = [];
    try {
      const lines = createInterface({ input: parent.stdout });
      const first = await Promise.race([
        new Promise<string>((resolve) => lines.once('line', resolve)),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the parent never reported its workers')), 15_000)),
      ]);
      lines.close();
      const report = JSON.parse(first) as { pids: number[]; spinning: number[] };
      pids = report.pids;
      expect(pids).toHaveLength(3);
      expect(report.spinning).toHaveLength(2);
      for (const pid of report.spinning) expect(pids).toContain(pid);
      for (const pid of pids) expect(isGone(pid)).toBe(false);
      parent.kill('SIGKILL');
      await exited;
      await waitFor(() => pids.every(isGone), 2000, `workers ${pids.join(', ')} to exit after their parent died`);
    } finally {
      // Never leave anything behind, even when an assertion failed above.
      parent.kill('SIGKILL');
      for (const pid of pids) if (!isGone(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});

/** Faults that make every start fail; each must end in ERR_WORKER_INIT, with back-off. */
const CRASH_LOOPS: Array<{ name: string; stage: string; kind: string; startTimeout?: number }> = [
  { name: 'the module throws at load', stage: 'load', kind: 'throw' },
  { name: 'init() rejects', stage: 'init', kind: 'reject' },
  { name: 'the process exits at load', stage: 'load', kind: 'exit' },
  { name: 'the module writes garbage to the channel at load', stage: 'load', kind: 'garbage' },
  { name: 'init() never returns (startTimeout)', stage: 'init', kind: 'loop', startTimeout: 500 },
];

/** The engine's back-off between failed starts: 100 ms, doubling (see supervisor/spawn-policy.ts). */
const FIRST_BACKOFF_MS = 100;

describe('crash-loop protection', () => {
  for (const loop of CRASH_LOOPS) {
    it(`gives up with ERR_WORKER_INIT when ${loop.name}, backing off between starts`, async () => {
      const maxStartFailures = 3;
      const pool = track(
        new Pool({
          worker: fixture('fault-worker.mjs'),
          workers: 1,
          maxStartFailures,
          startTimeout: loop.startTimeout,
          env: { ...process.env, FAULT_STAGE: loop.stage, FAULT_KIND: loop.kind },
        }),
      );
      // Spawn events are delivered on the next tick, so the constructor's first spawn is seen too.
      const spawnedAt: number[] = [];
      const exitedAt: number[] = [];
      const exits: WorkerExitEvent[] = [];
      const errors: Error[] = [];
      pool.on('workerSpawn', () => spawnedAt.push(Date.now()));
      pool.on('workerExit', (event) => {
        exits.push(event);
        exitedAt.push(Date.now());
      });
      pool.on('error', (error) => errors.push(error));
      const error = await pool.run({ value: 1 }).then(
        () => undefined,
        (e: { code?: string }) => e,
      );
      expect(error).toMatchObject({ code: 'ERR_WORKER_INIT' });
      expect(pool.stats().spawned).toBe(maxStartFailures);
      await waitFor(() => exits.length === maxStartFailures, 5000, 'every failed worker to be reaped');
      // Back-off, not a tight loop: a failure comes after its spawn, and the next spawn waits at
      // least the doubling delay after that failure, so spawns are at least that far apart.
      expect(spawnedAt).toHaveLength(maxStartFailures);
      for (let i = 1; i < spawnedAt.length; i++) {
        expect((spawnedAt[i] as number) - (spawnedAt[i - 1] as number)).toBeGreaterThanOrEqual(FIRST_BACKOFF_MS * 2 ** (i - 1));
        // One at a time: the next one starts only once the previous one is gone.
        expect(spawnedAt[i] as number).toBeGreaterThanOrEqual(exitedAt[i - 1] as number);
      }
      // Given up for good: no more spawns, and new jobs fail at once with the same code.
      await new Promise((resolve) => setTimeout(resolve, 2 * FIRST_BACKOFF_MS * 2 ** (maxStartFailures - 1)));
      expect(pool.stats().spawned).toBe(maxStartFailures);
      await expect(pool.run({ value: 2 })).rejects.toMatchObject({ code: 'ERR_WORKER_INIT' });
      expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['ERR_WORKER_INIT']);
      await pool.close();
      expect(childPids()).toEqual([]);
    });
  }

  it('gives up with ERR_WORKER_INIT when the module does not exist', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forkpool-missing-'));
    try {
      const pool = track(new Pool({ worker: join(dir, 'missing.mjs'), workers: 2 }));
      const error = await pool.run(1).then(() => undefined, (e: Error & { code?: string }) => e);
      expect(error).toMatchObject({ code: 'ERR_WORKER_INIT' });
      expect(String(error?.message)).toContain('missing.mjs');
      await pool.close();
      expect(childPids()).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
