// Regressions for defects found in review: each of these once hung, ran a job twice or crashed.
import { describe, expect, it } from 'vitest';
import { Pool } from '../../dist/index.js';
import { childPids, fixture, sleep, track, waitFor } from '../helpers.js';

describe('edge cases', () => {
  it('graceful close does not wait forever on a worker stuck loading its module', async () => {
    const pool = track(new Pool({ worker: fixture('spin-at-load.mjs'), workers: 1, killTimeout: 200 }));
    await sleep(300);
    const started = Date.now();
    await pool.close();
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(childPids()).toEqual([]);
  });

  it('a cancelled job sent ahead that already started is stopped, and the jobs behind it keep their timeouts', async () => {
    const pool = track(new Pool({ worker: fixture('busy.mjs'), workers: 1, killTimeout: 200 }));
    // Teach the pool that jobs are tiny, so it sends the next ones ahead to the busy worker.
    await Promise.all(Array.from({ length: 50 }, () => pool.run({ ms: 0 })));
    const controller = new AbortController();
    const a = pool.run({ ms: 300, value: 'a' });
    const b = pool.run({ forever: true }, { signal: controller.signal });
    const c = pool.run({ ms: 0, value: 'c' }, { timeout: 5000 });
    await sleep(100);
    controller.abort(new Error('stop b'));
    await expect(b).rejects.toMatchObject({ name: 'AbortError' });
    expect(await a).toBe('a');
    // b may have started before its RELEASE was read: its worker must be stopped so that c runs.
    expect(await c).toBe('c');
    await pool.close();
  });

  it('a result whose getter throws rejects with ERR_UNSERIALIZABLE and the worker lives on', async () => {
    const pool = track(new Pool({ worker: fixture('getter-result.mjs'), workers: 1 }));
    const pid = pool.pids[0];
    await expect(pool.run('getter')).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    expect(await pool.run('fine')).toBe('fine');
    expect(pool.stats().crashed).toBe(0);
    expect(pool.pids[0]).toBe(pid);
  });

  it('a callback handler rejecting with a null-prototype object fails the call, not the parent', async () => {
    const pool = track(
      new Pool({
        worker: fixture('callback-null-proto.mjs'),
        workers: 1,
        callbacks: { nasty: () => Promise.reject(Object.create(null)) },
      }),
    );
    expect(await pool.run(1)).toMatchObject({ code: 'ERR_CALLBACK_FAILED' });
  });

  it('a module that dies right after it is ready backs off and gives up instead of looping', async () => {
    const pool = track(new Pool({ worker: fixture('exit-after-ready.mjs'), workers: 1 }));
    const errors: Error[] = [];
    pool.on('error', (error) => errors.push(error));
    await waitFor(() => errors.length === 1, 15_000, 'the pool to give up');
    expect(errors[0]).toMatchObject({ code: 'ERR_WORKER_INIT' });
    expect(pool.stats().spawned).toBe(3);
    await expect(pool.run(1)).rejects.toMatchObject({ code: 'ERR_WORKER_INIT' });
  });
});
