// Named tasks, progress, priorities, teardown, ready(), timing figures and diagnostics channels.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, type WorkerExitEvent, type WorkerReadyEvent } from '../../dist/index.js';
import { fixture, track, waitFor } from '../helpers.js';

const worker = fixture('features-worker.mjs');
const dir = mkdtempSync(join(tmpdir(), 'forkpool-features-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const markerFile = () => join(dir, `teardown-${n++}`);
const lines = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

describe('named tasks', () => {
  it('runs the default export without a name, any exported function by its name', async () => {
    const pool = track(new Pool({ worker, workers: 1 }));
    expect(await pool.run(7)).toBe(49);
    expect(await pool.run(7, { name: 'default' })).toBe(49);
    expect(await pool.run({ width: 640 }, { name: 'resize' })).toEqual({ width: 320 });
    await expect(pool.run(null, { name: 'fail' })).rejects.toMatchObject({ code: 'E_ASKED' });
  });

  it('an unknown name rejects that job with ERR_TASK_UNKNOWN listing the tasks; the worker lives on', async () => {
    const pool = track(new Pool({ worker, workers: 1 }));
    await pool.ready();
    const pid = pool.pids[0];
    const error = await pool.run(1, { name: 'nope' }).catch((e) => e);
    expect(error).toMatchObject({ code: 'ERR_TASK_UNKNOWN' });
    expect(error.tasks).toEqual(expect.arrayContaining(['default', 'resize', 'report']));
    expect(error.tasks).not.toContain('init');
    expect(error.tasks).not.toContain('teardown');
    expect(await pool.run(3)).toBe(9);
    expect(pool.pids).toEqual([pid]);
  });

  it('refuses a name that is not a string, with ERR_INVALID_OPTION', async () => {
    const pool = track(new Pool({ worker, workers: 1 }));
    await expect(pool.run(1, { name: 42 as unknown as string })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('name') });
  });

  it('addWith passes run options to every job it adds', async () => {
    const pool = track(new Pool({ worker, workers: 1 }));
    pool.addWith({ name: 'resize' }, { width: 10 }, { width: 20 });
    const values = [];
    for await (const outcome of pool.results()) values.push(outcome.status === 'fulfilled' ? outcome.value : outcome.reason);
    expect(values.sort((a, b) => a.width - b.width)).toEqual([{ width: 5 }, { width: 10 }]);
  });
});

describe('progress', () => {
  it('delivers every ctx.progress to onProgress and the pool event, in order, before the job settles', async () => {
    const pool = track(new Pool({ worker, workers: 1 }));
    const seen: unknown[] = [];
    const events: unknown[] = [];
    pool.on('progress', (event) => events.push(event.value));
    const result = await pool.run({ steps: [1, 2, { at: 3 }] }, { name: 'report', onProgress: (value) => seen.push(value) });
    expect(result).toBe('done');
    expect(seen).toEqual([1, 2, { at: 3 }, 'last']);
    await waitFor(() => events.length === 4, 2000, 'the progress events');
    expect(events).toEqual([1, 2, { at: 3 }, 'last']);
  });

  it('a throwing onProgress does not disturb the job', async () => {
    const pool = track(new Pool({ worker, workers: 1 }));
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const result = await pool.run({ steps: [1] }, { name: 'report', onProgress: () => { throw new Error('listener bug'); } });
      expect(result).toBe('done');
      await waitFor(() => uncaught.length > 0, 2000, 'the listener error to surface');
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});

describe('priorities', () => {
  it('higher first among queued jobs, FIFO within a priority; a job already sent keeps its place', async () => {
    const pool = track(new Pool({ worker, workers: 1, prefetch: 1 }));
    await pool.ready();
    const order: string[] = [];
    const run = (label: string, priority?: number) => pool.run({ ms: 5, value: label }, { name: 'sleep', ...(priority === undefined ? {} : { priority }) }).then((v) => order.push(v));
    const first = pool.run({ ms: 200, value: 'first' }, { name: 'sleep' }).then((v) => order.push(v));
    await Promise.all([first, run('p0'), run('p1a', 1), run('p5', 5), run('p1b', 1), run('m1', -1)]);
    expect(order).toEqual(['first', 'p5', 'p1a', 'p1b', 'p0', 'm1']);
  });

  it('refuses a priority that is not an integer', async () => {
    const pool = track(new Pool({ worker, workers: 1 }));
    await expect(pool.run(1, { priority: 1.5 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('priority') });
  });
});

describe('teardown', () => {
  it('runs once per worker on close and on recycle', async () => {
    const marker = markerFile();
    const pool = new Pool({ worker, workers: 2, maxJobsPerWorker: 2, initData: { marker } });
    const pids = new Set<number>();
    pool.on('workerSpawn', (event) => pids.add(event.pid as number));
    await Promise.all(Array.from({ length: 6 }, (_, i) => pool.run(i)));
    await pool.close();
    // Every worker (recycled ones, the last ones closed, replacements closed as they finished
    // their init) tore down exactly once.
    expect(lines(marker).sort()).toEqual([...pids].map(String).sort());
  });

  it('does not run after a crash, a timeout or a forced close', async () => {
    const marker = markerFile();
    const pool = new Pool({ worker, workers: 1, killTimeout: 200, initData: { marker } });
    await expect(pool.run(null, { name: 'crash' })).rejects.toMatchObject({ code: 'ERR_WORKER_CRASHED' });
    await expect(pool.run(null, { name: 'spin', timeout: 300 })).rejects.toMatchObject({ code: 'ERR_JOB_TIMEOUT' });
    const running = pool.run({ ms: 5000 }, { name: 'sleep' }).catch((error) => error);
    await waitFor(() => pool.stats().running === 1, 5000, 'the job to run');
    await pool.close({ force: true });
    expect(await running).toMatchObject({ code: 'ERR_POOL_CLOSED' });
    expect(lines(marker)).toEqual([]);
  });

  it('an error it throws is reported with the worker exit, never thrown in the parent', async () => {
    const marker = markerFile();
    const pool = new Pool({ worker, workers: 1, initData: { marker }, env: { ...process.env, TEARDOWN_THROWS: '1' } });
    const exits: WorkerExitEvent[] = [];
    pool.on('workerExit', (event) => exits.push(event));
    expect(await pool.run(2)).toBe(4);
    await pool.close();
    await waitFor(() => exits.length === 1, 2000, 'the exit event');
    expect(exits[0]?.reason).toBe('shutdown');
    expect(exits[0]?.teardownError?.message).toBe('teardown failed on purpose');
  });
});

describe('ready() and workerReady', () => {
  it('resolves once minWorkers workers are ready, with an event per worker', async () => {
    const pool = track(new Pool({ worker, workers: 2 }));
    const ready: WorkerReadyEvent[] = [];
    pool.on('workerReady', (event) => ready.push(event));
    await pool.ready();
    expect(pool.stats().idle).toBe(2);
    await waitFor(() => ready.length === 2, 2000, 'two workerReady events');
    for (const event of ready) expect(event.startMs).toBeGreaterThan(0);
  });

  it('rejects with ERR_WORKER_INIT when the pool gives up', async () => {
    const pool = track(new Pool({ worker: fixture('init-throws.mjs'), workers: 1 }));
    await expect(pool.ready()).rejects.toMatchObject({ code: 'ERR_WORKER_INIT' });
  });
});

describe('timing figures', () => {
  it('stats() has runTime and waitTime summaries counting every answered job', async () => {
    const pool = track(new Pool({ worker, workers: 1, prefetch: 1 }));
    await Promise.all([pool.run({ ms: 60 }, { name: 'sleep' }), pool.run({ ms: 60 }, { name: 'sleep' })]);
    const { runTime, waitTime } = pool.stats();
    expect(runTime.count).toBe(2);
    expect(waitTime.count).toBe(2);
    // Lower bounds only: each job slept 60 ms, and the second waited for the first.
    expect(runTime.min).toBeGreaterThanOrEqual(55);
    expect(waitTime.max).toBeGreaterThanOrEqual(55);
    expect(runTime.p50).toBeGreaterThanOrEqual(runTime.min);
    expect(runTime.p99).toBeLessThanOrEqual(runTime.max);
  });
});

describe('diagnostics channels', () => {
  it('publishes job start and end (status, timing) and worker spawn and exit', async () => {
    const got: Record<string, any[]> = { 'forkpool:job:start': [], 'forkpool:job:end': [], 'forkpool:worker:spawn': [], 'forkpool:worker:exit': [] };
    const listeners = Object.keys(got).map((name) => [name, (message: unknown) => got[name]?.push(message)] as const);
    for (const [name, listener] of listeners) subscribe(name, listener);
    try {
      const pool = new Pool({ worker, workers: 1 });
      await pool.run(3);
      await pool.run(null, { name: 'fail' }).catch(() => undefined);
      await pool.run(null, { name: 'crash' }).catch(() => undefined);
      await pool.close();
      expect(got['forkpool:job:start']?.map((m) => m.name)).toEqual(['default', 'fail', 'crash']);
      const ends = got['forkpool:job:end'] ?? [];
      expect(ends.map((m) => [m.name, m.status])).toEqual([['default', 'fulfilled'], ['fail', 'rejected'], ['crash', 'rejected']]);
      expect(ends[0]).toMatchObject({ jobId: expect.any(Number), workerId: 1, pid: expect.any(Number), runMs: expect.any(Number), waitMs: expect.any(Number) });
      expect(ends[1]?.error).toMatchObject({ code: 'E_ASKED' });
      expect(ends[2]?.error).toMatchObject({ code: 'ERR_WORKER_CRASHED' });
      // The crashed worker (its SIGKILL reported as killed); its replacement, if one started before close, shut down.
      const exits = got['forkpool:worker:exit']?.map((m) => m.reason) ?? [];
      expect(exits[0]).toBe('killed');
      expect(got['forkpool:worker:spawn']?.length).toBe(exits.length);
    } finally {
      for (const [name, listener] of listeners) unsubscribe(name, listener);
    }
  });
});
