// Worker lifecycle features: recycling after N jobs or past a memory limit, and elastic sizing.
import { describe, expect, it } from 'vitest';
import { Pool, type WorkerExitEvent } from '../../dist/index.js';
import { childPids, fixture, track, waitFor } from '../helpers.js';

const worker = fixture('rel-worker.mjs');

describe('maxJobsPerWorker', () => {
  it('recycles a worker after N jobs with reason "recycle", on new pids, losing no job', async () => {
    const limit = 3;
    const jobs = 20;
    const pool = track(new Pool({ worker, workers: 2, maxJobsPerWorker: limit }));
    const exits: WorkerExitEvent[] = [];
    pool.on('workerExit', (event) => exits.push(event));
    const pids = await Promise.all(Array.from({ length: jobs }, () => pool.run({ op: 'pid' }) as Promise<number>));
    expect(pids).toHaveLength(jobs);
    const perPid = new Map<number, number>();
    for (const pid of pids) perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
    // No worker ran more than its quota, so at least ceil(jobs / limit) distinct processes served.
    for (const count of perPid.values()) expect(count).toBeLessThanOrEqual(limit);
    expect(perPid.size).toBeGreaterThanOrEqual(Math.ceil(jobs / limit));
    await waitFor(() => exits.length >= Math.floor(jobs / limit), 5000, 'the recycled workers to exit');
    expect(new Set(exits.map((event) => event.reason))).toEqual(new Set(['recycle']));
    // Recycling is graceful: the worker exits by itself after its last answer.
    for (const event of exits) expect(event.exitCode).toBe(0);
    await pool.close();
    expect(childPids()).toEqual([]);
  });
});

describe('maxMemoryPerWorker', () => {
  it('recycles a worker whose RSS grew past the limit, with reason "memory"', async () => {
    const limitMiB = 96;
    const leakMiB = 24;
    const pool = track(new Pool({ worker, workers: 1, maxMemoryPerWorker: limitMiB }));
    const exits: WorkerExitEvent[] = [];
    pool.on('workerExit', (event) => exits.push(event));
    const first = (await pool.run({ op: 'pid' })) as number;
    // Each job keeps leakMiB more; the limit is passed after a handful of jobs, whatever the base RSS.
    const pids: number[] = [];
    for (let i = 0; i < Math.ceil(limitMiB / leakMiB) + 1; i++) pids.push((await pool.run({ op: 'leak', mib: leakMiB })) as number);
    await waitFor(() => exits.some((event) => event.reason === 'memory'), 5000, 'a workerExit with reason memory');
    expect(exits.find((event) => event.reason === 'memory')?.pid, JSON.stringify(exits)).toBe(first);
    // Every job was answered, and the pool goes on with a fresh process.
    const after = (await pool.run({ op: 'pid' })) as number;
    expect(after).not.toBe(first);
    await pool.close();
    expect(childPids()).toEqual([]);
  });
});

describe('minWorkers / maxWorkers / idleTimeout', () => {
  it('grows under load up to maxWorkers and shrinks back to minWorkers when idle', async () => {
    const pool = track(new Pool({ worker, minWorkers: 1, maxWorkers: 3, idleTimeout: 200 }));
    const exits: WorkerExitEvent[] = [];
    pool.on('workerExit', (event) => exits.push(event));
    await waitFor(() => pool.stats().idle === 1, 10_000, 'the first worker');
    expect(pool.pids).toHaveLength(1);
    let most = 0;
    const sample = setInterval(() => (most = Math.max(most, pool.pids.length)), 5);
    const pids = await Promise.all(Array.from({ length: 9 }, () => pool.run({ op: 'sleep', ms: 150 }) as Promise<number>));
    clearInterval(sample);
    // Grew, but never past maxWorkers, and more than one process served.
    expect(most).toBe(3);
    expect(new Set(pids).size).toBeGreaterThan(1);
    await waitFor(() => pool.pids.length === 1, 5000, 'the pool to shrink to minWorkers');
    expect(exits.map((event) => event.reason)).toEqual(['idle', 'idle']);
    // Never below min: the last worker stays well past idleTimeout.
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(pool.pids).toHaveLength(1);
    await pool.close();
    expect(childPids()).toEqual([]);
  });
});
