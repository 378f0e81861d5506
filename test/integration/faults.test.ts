import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobTimeoutError, Pool, WorkerCrashedError, WorkerInitError, type ForkpoolError, type WorkerExitEvent } from '../../dist/index.js';
import { childPids, fixture, isAlive, track, waitFor } from '../helpers.js';

const tmp = mkdtempSync(join(tmpdir(), 'forkpool-faults-'));

describe('timeouts', () => {
  it('rejects at expiry with ERR_JOB_TIMEOUT, kills a worker spinning synchronously and replaces it', async () => {
    const pool = track(new Pool({ worker: fixture('spin.mjs'), workers: 2, timeout: 300, killTimeout: 200 }));
    const exits: WorkerExitEvent[] = [];
    pool.on('workerExit', (e) => exits.push(e));
    const started = Date.now();
    const error = await pool.run({ spin: true }).catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect((error as ForkpoolError).code).toBe('ERR_JOB_TIMEOUT');
    // At expiry, not after the kill: generous bound for a loaded machine.
    expect(elapsed).toBeLessThan(3000);
    await waitFor(() => exits.length === 1, 5000, 'the spinning worker to be killed');
    expect(exits[0]).toMatchObject({ reason: 'timeout' });
    expect(['SIGTERM', 'SIGKILL']).toContain(exits[0]?.signal);
    expect(isAlive(exits[0]?.pid as number)).toBe(false);
    // The pool still has two workers and serves jobs.
    const results = await Promise.all([pool.run({}), pool.run({}), pool.run({})]);
    for (const r of results) expect(r.ok).toBe(true);
    await waitFor(() => pool.stats().workers === 2, 5000, 'the replacement');
  });

  it('does not affect other jobs', async () => {
    const pool = track(new Pool({ worker: fixture('sleep.mjs'), workers: 3, timeout: 400 }));
    const outcomes = await Promise.allSettled([pool.run({ ms: 5000 }), pool.run({ ms: 50, value: 'a' }), pool.run({ ms: 100, value: 'b' }), pool.run({ ms: 10, value: 'c' })]);
    expect(outcomes[0]).toMatchObject({ status: 'rejected', reason: { code: 'ERR_JOB_TIMEOUT' } });
    expect(outcomes.slice(1).map((o) => (o.status === 'fulfilled' ? o.value : o.reason))).toEqual(['a', 'b', 'c']);
  });

  it('aborts ctx.signal of the timed-out job before killing it', async () => {
    const marker = join(tmp, 'aborted');
    const pool = track(new Pool({ worker: fixture('signal-aware.mjs'), workers: 1, timeout: 200 }));
    await expect(pool.run({ marker })).rejects.toMatchObject({ code: 'ERR_JOB_TIMEOUT' });
    await waitFor(() => existsSync(marker), 3000, 'the abort marker');
    expect(readFileSync(marker, 'utf8')).toBe('ERR_JOB_TIMEOUT');
  });

  it('a per-run timeout overrides the pool timeout', async () => {
    const pool = track(new Pool({ worker: fixture('sleep.mjs'), workers: 1, timeout: 100 }));
    expect(await pool.run({ ms: 300, value: 'slow but allowed' }, { timeout: 0 })).toBe('slow but allowed');
    await expect(pool.run({ ms: 3000 }, { timeout: 50 })).rejects.toMatchObject({ code: 'ERR_JOB_TIMEOUT', timeout: 50 });
  });
});

describe('crashes', () => {
  it('a worker that exits mid-job is replaced; the job rejects with exit code and stderr; others are unaffected', async () => {
    const pool = track(new Pool({ worker: fixture('crash.mjs'), workers: 2 }));
    const exits: WorkerExitEvent[] = [];
    pool.on('workerExit', (e) => exits.push(e));
    const [crashed, ...others] = await Promise.allSettled([
      pool.run({ exit: 7, stderr: 'about to die\nreally\n' }),
      ...Array.from({ length: 10 }, (_, i) => pool.run({ value: i })),
    ]);
    expect(crashed?.status).toBe('rejected');
    const error = (crashed as PromiseRejectedResult).reason as WorkerCrashedError;
    expect(error).toBeInstanceOf(WorkerCrashedError);
    expect(error.code).toBe('ERR_WORKER_CRASHED');
    expect(error.exitCode).toBe(7);
    expect(error.signal).toBeNull();
    expect(error.stderr).toContain('about to die\nreally');
    expect(others.map((o) => (o.status === 'fulfilled' ? o.value.value : 'lost'))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(exits).toEqual([expect.objectContaining({ reason: 'crash', exitCode: 7 })]);
    await waitFor(() => pool.stats().workers === 2, 5000, 'the replacement');
    expect((await pool.run({ value: 'after' })).value).toBe('after');
  });

  it('reports a kill by signal', async () => {
    const pool = track(new Pool({ worker: fixture('crash.mjs'), workers: 1 }));
    const error = (await pool.run({ signal: 'SIGKILL' }).catch((e: unknown) => e)) as WorkerCrashedError;
    expect(error.code).toBe('ERR_WORKER_CRASHED');
    expect(error.signal).toBe('SIGKILL');
    expect(error.exitCode).toBeNull();
    expect(error.attempts).toBe(1);
  });

  it('retries a crashed job on another worker up to maxRetries', async () => {
    const marker = join(tmp, 'crash-once');
    const pool = track(new Pool({ worker: fixture('crash-once.mjs'), workers: 2, maxRetries: 1 }));
    const result = await pool.run({ marker });
    expect(Number(readFileSync(marker, 'utf8'))).not.toBe(result.pid);
    expect(pool.stats()).toMatchObject({ retried: 1, killed: 1, completed: 1 });
  });

  it('gives up after maxRetries with the attempt count', async () => {
    const pool = track(new Pool({ worker: fixture('crash.mjs'), workers: 2, maxRetries: 2 }));
    const error = (await pool.run({ exit: 3 }).catch((e: unknown) => e)) as WorkerCrashedError;
    expect(error).toMatchObject({ code: 'ERR_WORKER_CRASHED', exitCode: 3, attempts: 3 });
  });
});

describe('start failures', () => {
  it.each([
    ['init throws', 'init-throws.mjs', /cannot connect to the database/],
    ['syntax error', 'syntax-error.mjs', /SyntaxError|Unexpected/],
    ['missing module', 'does-not-exist.mjs', /Cannot find module|ERR_MODULE_NOT_FOUND|not find/],
    ['no default export', 'no-default.mjs', /default export/],
  ])('%s: jobs reject with ERR_WORKER_INIT and the cause, within seconds, without a spawn loop', async (_name, file, cause) => {
    const pool = track(new Pool({ worker: fixture(file), workers: 2 }));
    const errors: Error[] = [];
    pool.on('error', (e) => errors.push(e));
    const started = Date.now();
    const outcomes = await Promise.allSettled([pool.run(1), pool.run(2), pool.run(3)]);
    // "Within seconds": two rounds of spawning plus back-off; generous for a loaded 2-core machine.
    expect(Date.now() - started).toBeLessThan(15_000);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const reason = (outcome as PromiseRejectedResult).reason as WorkerInitError;
      expect(reason).toBeInstanceOf(WorkerInitError);
      expect(reason.code).toBe('ERR_WORKER_INIT');
      expect(String((reason.cause as Error)?.message ?? reason.message)).toMatch(cause);
    }
    // Later jobs fail at once; spawning stopped.
    const spawned = pool.stats().spawned;
    expect(spawned).toBeLessThanOrEqual(4);
    await expect(pool.run(4)).rejects.toMatchObject({ code: 'ERR_WORKER_INIT' });
    expect(errors).toHaveLength(1);
    await pool.close();
    expect(pool.stats().spawned).toBe(spawned);
    expect(childPids()).toEqual([]);
  });

  it('keeps the init error code and properties on the cause', async () => {
    const pool = track(new Pool({ worker: fixture('init-throws.mjs'), workers: 1 }));
    const error = (await pool.run(1).catch((e: unknown) => e)) as WorkerInitError;
    expect(error.cause).toMatchObject({ message: 'cannot connect to the database', code: 'E_DB' });
  });
});

describe('work errors', () => {
  it('rebuilds the thrown error in the parent with name, message, stack, code and own properties; the worker lives on', async () => {
    const pool = track(new Pool({ worker: fixture('throws.mjs'), workers: 1 }));
    const { pid } = await pool.run({ kind: 'none' });
    const custom = (await pool.run({ kind: 'custom' }).catch((e: unknown) => e)) as Error & Record<string, unknown>;
    expect(custom).toBeInstanceOf(Error);
    expect(custom.name).toBe('ValidationError');
    expect(custom.message).toBe('bad email');
    expect(custom.code).toBe('E_VALIDATION');
    expect(custom.field).toBe('email');
    expect(custom.details).toEqual({ min: 3, tags: new Set(['a']) });
    expect(custom.stack).toContain('throws.mjs');
    const typeError = await pool.run({ kind: 'type' }).catch((e: unknown) => e);
    expect(typeError).toBeInstanceOf(TypeError);
    expect(await pool.run({ kind: 'string' }).catch((e: unknown) => e)).toBe('a plain string');
    const withCause = (await pool.run({ kind: 'cause' }).catch((e: unknown) => e)) as Error;
    expect(withCause.cause).toBeInstanceOf(RangeError);
    expect((withCause.cause as Error).message).toBe('inner');
    await expect(pool.run({ kind: 'reject' })).rejects.toThrow('rejected');
    expect((await pool.run({ kind: 'none' })).pid).toBe(pid);
  });
});
