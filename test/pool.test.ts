import { describe, expect, it } from 'vitest';
import { Pool, ForkpoolError, InvalidOptionError, PoolClosedError } from '../dist/index.js';
import { childPids, fixture, isAlive, openFds, track, waitFor } from './helpers.js';

describe('Pool basics', () => {
  it('runs a job in a child process and returns its result', async () => {
    const pool = track(new Pool({ worker: fixture('multiply.mjs'), workers: 2 }));
    const result = await pool.run({ a: 3, b: 4 });
    expect(result.product).toBe(12);
    expect(result.pid).not.toBe(process.pid);
    expect(result.workerId).toBeGreaterThan(0);
    expect(result.jobId).toBeGreaterThan(0);
  });

  it('accepts a file: URL and a relative path', async () => {
    const byUrl = track(new Pool({ worker: new URL('./fixtures/echo.mjs', import.meta.url), workers: 1 }));
    expect(await byUrl.run('x')).toBe('x');
    const relative = track(new Pool({ worker: 'test/fixtures/echo.mjs', workers: 1 }));
    expect(await relative.run(5)).toBe(5);
  });

  it('runs a TypeScript worker through the project\'s tsx', async () => {
    const pool = track(new Pool({ worker: fixture('typescript-worker.ts'), workers: 1 }));
    expect(await pool.run({ a: 6, b: 7 })).toEqual({ product: 42 });
  });

  it('spreads many jobs over all workers and answers each once', async () => {
    const pool = track(new Pool({ worker: fixture('multiply.mjs'), workers: 3 }));
    // Starts are staggered; once all three serve, a burst is spread over all of them.
    await waitFor(() => pool.stats().idle === 3, 10_000, 'three ready workers');
    const results = await Promise.all(Array.from({ length: 3000 }, (_, i) => pool.run({ a: i, b: 2 })));
    expect(results.map((r) => r.product)).toEqual(results.map((_, i) => i * 2));
    expect(new Set(results.map((r) => r.pid)).size).toBe(3);
    expect(pool.stats()).toMatchObject({ submitted: 3000, completed: 3000, failed: 0, queued: 0, running: 0 });
  });

  it('runs init(initData) once per worker before its first job', async () => {
    const pool = track(new Pool({ worker: fixture('init-data.mjs'), workers: 2, initData: { dsn: 'db://x', when: new Date(5) } }));
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.run(i)));
    for (const r of results) {
      expect(r.state).toEqual({ dsn: 'db://x', when: new Date(5) });
      expect(r.initCalls).toBe(1);
    }
  });

  it('passes stdout and stderr of workers through', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = `import { Pool } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const pool = new Pool({ worker: ${JSON.stringify(fixture('stdio.mjs'))}, workers: 1 });
      await pool.run('a'); await pool.close();`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    expect(out).toBe('out:a\n');
  });

  it('does not keep the process alive when idle and unclosed', async () => {
    const { spawnSync } = await import('node:child_process');
    const script = `import { Pool } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      const pool = new Pool({ worker: ${JSON.stringify(fixture('echo.mjs'))}, workers: 2 });
      console.log(await pool.run(1));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000 });
    expect(child.status).toBe(0);
    expect(child.stdout).toBe('1\n');
  });
});

describe('leaks', () => {
  it('leaves no file descriptor, process listener or child behind after many pools', async () => {
    // Warm up lazily-created handles (stdio, timers) before counting.
    const warm = new Pool({ worker: fixture('echo.mjs'), workers: 1 });
    await warm.run(0);
    await warm.close();
    const fds = openFds();
    const listeners = ['exit', 'SIGTERM', 'SIGINT'].map((e) => process.listenerCount(e));
    for (let round = 0; round < 5; round++) {
      const pool = new Pool({ worker: fixture('crash.mjs'), workers: 2, maxRetries: 0, handleSignals: true });
      await Promise.allSettled([pool.run({ value: 1 }), pool.run({ exit: 1 }), pool.run({ value: 2 })]);
      await pool.close(round % 2 === 1 ? { force: true } : {});
    }
    expect(childPids()).toEqual([]);
    await waitFor(() => openFds() <= fds, 2000, `fds back to ${fds} (now ${openFds()})`);
    expect(['exit', 'SIGTERM', 'SIGINT'].map((e) => process.listenerCount(e))).toEqual(listeners);
  });
});

describe('options', () => {
  const bad: Array<[string, Record<string, unknown>]> = [
    ['workers', { workers: 0 }],
    ['workers', { workers: 1.5 }],
    ['timeout', { timeout: -1 }],
    ['maxRetries', { maxRetries: 'x' }],
    ['execArgv', { execArgv: 'x' }],
    ['env', { env: 3 }],
    ['onResult', { onResult: 1 }],
    ['bogus', { bogus: true }],
    ['initData', { initData: () => 1 }],
    ['minWorkers', { minWorkers: 4, maxWorkers: 2 }],
    ['callbacks', { callbacks: { x: 1 } }],
  ];
  it.each(bad)('rejects a bad %s with ERR_INVALID_OPTION naming it', (name, extra) => {
    let error: unknown;
    try {
      track(new Pool({ worker: fixture('echo.mjs'), workers: 1, ...extra } as never));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidOptionError);
    expect(error).toBeInstanceOf(ForkpoolError);
    expect((error as InvalidOptionError).code).toBe('ERR_INVALID_OPTION');
    expect((error as InvalidOptionError).option).toBe(name);
    expect((error as Error).message).toContain(name);
  });

  it('rejects a missing worker option', () => {
    expect(() => new Pool({} as never)).toThrow(/worker/);
  });

  it('rejects a bad per-run timeout without running the job', async () => {
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 1 }));
    await expect(pool.run(1, { timeout: -5 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

describe('close', () => {
  it('graceful close finishes queued and running jobs, then reaps every child', async () => {
    const pool = track(new Pool({ worker: fixture('sleep.mjs'), workers: 2 }));
    const jobs = Array.from({ length: 6 }, (_, i) => pool.run({ ms: 50, value: i }));
    await waitFor(() => pool.pids.length === 2, 5000, 'workers');
    const pids = pool.pids;
    await pool.close();
    expect(await Promise.all(jobs)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(childPids()).toEqual([]);
    await expect(pool.run({ ms: 1 })).rejects.toBeInstanceOf(PoolClosedError);
    await expect(pool.run({ ms: 1 })).rejects.toMatchObject({ code: 'ERR_POOL_CLOSED' });
    expect(() => pool.add({ ms: 1 })).toThrow(PoolClosedError);
  });

  it('forced close kills busy workers and rejects unsettled jobs with ERR_POOL_CLOSED', async () => {
    const pool = track(new Pool({ worker: fixture('spin.mjs'), workers: 2 }));
    const exits: unknown[] = [];
    pool.on('workerExit', (e) => exits.push(e));
    const jobs = Array.from({ length: 4 }, () => pool.run({ spin: true }).then(() => 'ok', (e: ForkpoolError) => e.code));
    await waitFor(() => pool.stats().running === 2, 5000, 'two running jobs');
    await pool.close({ force: true });
    expect(await Promise.all(jobs)).toEqual(['ERR_POOL_CLOSED', 'ERR_POOL_CLOSED', 'ERR_POOL_CLOSED', 'ERR_POOL_CLOSED']);
    expect(exits).toHaveLength(2);
    expect(exits).toEqual([expect.objectContaining({ reason: 'force', signal: 'SIGKILL' }), expect.objectContaining({ reason: 'force', signal: 'SIGKILL' })]);
    expect(childPids()).toEqual([]);
  });

  it('supports await using', async () => {
    let pids: number[] = [];
    {
      await using pool = new Pool({ worker: fixture('echo.mjs'), workers: 2 });
      await pool.run(1);
      pids = pool.pids;
    }
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
  });

  it('close while workers are still starting resolves and leaves no child', async () => {
    const pool = new Pool({ worker: fixture('echo.mjs'), workers: 2 });
    await pool.close();
    expect(childPids()).toEqual([]);
  });

  it('emits workerSpawn and workerExit with pid, exit code, signal and reason', async () => {
    const pool = new Pool({ worker: fixture('echo.mjs'), workers: 2 });
    const spawns: Array<{ pid: number }> = [];
    const exits: Array<{ pid: number; reason: string; exitCode: number | null }> = [];
    pool.on('workerSpawn', (e) => spawns.push(e as never));
    pool.on('workerExit', (e) => exits.push(e as never));
    await pool.run(1);
    await pool.close();
    // Events come on the next tick: listeners added right after construction see the first spawns.
    expect(spawns).toHaveLength(2);
    expect(exits.map((e) => e.reason)).toEqual(['shutdown', 'shutdown']);
    expect(exits.map((e) => e.exitCode)).toEqual([0, 0]);
    // Each worker that was spawned is the one that exited: two distinct pids, the same on both sides.
    expect(pool.stats().spawned).toBe(2);
    expect(new Set(spawns.map((e) => e.pid)).size).toBe(2);
    expect(new Set(exits.map((e) => e.pid))).toEqual(new Set(spawns.map((e) => e.pid)));
  });
});
