// Cancellation with an AbortSignal, and backpressure with maxQueue.
import { describe, expect, it } from 'vitest';
import { Pool, type WorkerExitEvent } from '../../dist/index.js';
import { childPids, fixture, track, waitFor } from '../helpers.js';

const worker = fixture('rel-worker.mjs');

function rejection(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe('cancellation', () => {
  it('removes a queued job at once, without touching the running one', async () => {
    const started: unknown[] = [];
    const pool = track(new Pool({ worker, workers: 1, prefetch: 1, callbacks: { started: (tag) => void started.push(tag) } }));
    const exits: WorkerExitEvent[] = [];
    pool.on('workerExit', (event) => exits.push(event));
    await waitFor(() => pool.stats().idle === 1, 10_000, 'the worker');
    const running = pool.run({ op: 'sleep', ms: 300 });
    const controller = new AbortController();
    const queued = pool.run({ op: 'wait-abort', tag: 'queued' }, { signal: controller.signal });
    expect(pool.stats().queued).toBe(1);
    const reason = new Error('no longer needed');
    controller.abort(reason);
    // Rejected before the running job ends: it never waited for a worker.
    const error = await Promise.race([rejection(queued), running.then(() => 'the running job finished first')]);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(error.cause).toBe(reason);
    expect(pool.stats().queued).toBe(0);
    const pid = await running;
    expect(pool.pids).toEqual([pid]);
    expect(exits).toEqual([]);
    expect(started).toEqual([]);
    await pool.close();
    expect(childPids()).toEqual([]);
  });

  it('takes back a job sent ahead to a busy worker (prefetch) without running it', async () => {
    const started: unknown[] = [];
    const pool = track(new Pool({ worker, workers: 1, callbacks: { started: (tag) => void started.push(tag) } }));
    await waitFor(() => pool.stats().idle === 1, 10_000, 'the worker');
    const running = pool.run({ op: 'sleep', ms: 300 });
    const controller = new AbortController();
    const ahead = pool.run({ op: 'wait-abort', tag: 'ahead' }, { signal: controller.signal });
    controller.abort();
    const error = await rejection(ahead);
    expect(error.name).toBe('AbortError');
    expect(error.cause).toBe(controller.signal.reason);
    await running;
    // The pool still serves, on the same worker; the cancelled job never started.
    expect(await pool.run({ op: 'pid' })).toBe(await running);
    expect(started).toEqual([]);
    await pool.close();
  });

  it('aborts a running job: ctx.signal fires, then the worker is killed and replaced', async () => {
    const started: unknown[] = [];
    const aborted: unknown[] = [];
    const pool = track(
      new Pool({
        worker,
        workers: 1,
        killTimeout: 200,
        callbacks: { started: (tag) => void started.push(tag), aborted: (info) => void aborted.push(info) },
      }),
    );
    const exits: WorkerExitEvent[] = [];
    pool.on('workerExit', (event) => exits.push(event));
    const controller = new AbortController();
    const job = pool.run({ op: 'wait-abort', tag: 'running' }, { signal: controller.signal });
    await waitFor(() => started.length === 1, 10_000, 'the job to start');
    const [pid] = pool.pids;
    const reason = new Error('user pressed stop');
    controller.abort(reason);
    const error = await rejection(job);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect(error.cause).toBe(reason);
    // The child saw its signal abort before it was stopped.
    await waitFor(() => aborted.length === 1, 5000, 'the child to report ctx.signal aborted');
    expect(aborted[0]).toEqual({ tag: 'running', aborted: true });
    await waitFor(() => exits.length === 1, 5000, 'the worker to be stopped');
    expect(exits[0]).toMatchObject({ pid, reason: 'cancel' });
    // Replaced: the next job runs on a new process.
    const next = (await pool.run({ op: 'pid' })) as number;
    expect(next).not.toBe(pid);
    await pool.close();
    expect(childPids()).toEqual([]);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const pool = track(new Pool({ worker, workers: 1 }));
    const reason = new Error('too late');
    const error = await rejection(pool.run({ op: 'pid' }, { signal: AbortSignal.abort(reason) }));
    expect(error.name).toBe('AbortError');
    expect(error.cause).toBe(reason);
    await pool.close();
  });
});

describe('maxQueue', () => {
  it('rejects run and throws from add with ERR_QUEUE_FULL, and drained() waits for room', async () => {
    const maxQueue = 2;
    const pool = track(new Pool({ worker, workers: 1, prefetch: 1, maxQueue }));
    await waitFor(() => pool.stats().idle === 1, 10_000, 'the worker');
    const accepted = [pool.run({ op: 'sleep', ms: 200 })];
    for (let i = 0; i < maxQueue; i++) accepted.push(pool.run({ op: 'pid' }));
    expect(pool.stats().queued).toBe(maxQueue);
    const full = await rejection(pool.run({ op: 'pid' }));
    expect(full).toMatchObject({ code: 'ERR_QUEUE_FULL', maxQueue });
    expect(() => pool.add({ op: 'pid' })).toThrow(expect.objectContaining({ code: 'ERR_QUEUE_FULL' }));
    expect(pool.pending).toBe(0);
    let drains = 0;
    pool.on('drain', () => drains++);
    await pool.drained();
    expect(drains).toBeGreaterThan(0);
    // There is room now: one more is accepted.
    accepted.push(pool.run({ op: 'pid' }));
    await Promise.all(accepted);
    await pool.close();
    expect(childPids()).toEqual([]);
  });

  it('lets a streaming producer push many jobs through a small queue with drained()', async () => {
    const pool = track(new Pool({ worker, workers: 2, prefetch: 1, maxQueue: 3 }));
    const results: Array<Promise<unknown>> = [];
    let refused = 0;
    for (let i = 0; i < 60; i++) {
      await pool.drained();
      results.push(pool.run({ op: 'busy', ms: 1, value: i }).catch((error: { code?: string }) => {
          refused++;
          return error.code;
        }),
      );
    }
    const values = (await Promise.all(results)) as Array<{ value: number }>;
    expect(refused).toBe(0);
    expect(values.map((v) => v.value)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    await pool.close();
  });
});
