import { describe, expect, it } from 'vitest';
import { NoPendingJobsError, Pool, type Outcome } from '../../dist/index.js';
import { fixture, sleep, track } from '../helpers.js';

describe('the seed queue: add / pending / next / nextNow / results', () => {
  it('returns each of 10 jobs exactly once, in completion order', async () => {
    const pool = track(new Pool({ worker: fixture('sleep.mjs'), workers: 3 }));
    const delays = [90, 10, 50, 30, 70, 20, 80, 40, 60, 0];
    pool.add(...delays.map((ms, i) => ({ ms, value: i })));
    expect(pool.pending).toBe(10);
    const seen: number[] = [];
    while (pool.pending) {
      const outcome = await pool.next();
      expect(outcome.status).toBe('fulfilled');
      if (outcome.status === 'fulfilled') seen.push(outcome.value as number);
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(pool.pending).toBe(0);
    await expect(pool.next()).rejects.toBeInstanceOf(NoPendingJobsError);
  });

  it('outcomes carry the job, and failures come back as rejected outcomes', async () => {
    const pool = track(new Pool({ worker: fixture('throws.mjs'), workers: 1 }));
    pool.add({ kind: 'type' }, { kind: 'none' });
    const outcomes: Array<Outcome<unknown, unknown>> = [];
    for await (const outcome of pool.results()) outcomes.push(outcome);
    expect(outcomes).toHaveLength(2);
    const rejected = outcomes.find((o) => o.status === 'rejected');
    expect(rejected).toMatchObject({ status: 'rejected', job: { kind: 'type' } });
    expect((rejected as { reason: Error }).reason).toBeInstanceOf(TypeError);
    expect(outcomes.find((o) => o.status === 'fulfilled')).toMatchObject({ job: { kind: 'none' } });
  });

  it('nextNow returns undefined at once when nothing is ready', async () => {
    const pool = track(new Pool({ worker: fixture('sleep.mjs'), workers: 1 }));
    pool.add({ ms: 300, value: 'late' });
    expect(pool.nextNow()).toBeUndefined();
    expect(pool.pending).toBe(1);
    let outcome: Outcome<unknown, unknown> | undefined;
    for (let i = 0; i < 200 && !outcome; i++) {
      outcome = pool.nextNow();
      if (!outcome) await sleep(10);
    }
    expect(outcome).toMatchObject({ status: 'fulfilled', value: 'late' });
    expect(pool.pending).toBe(0);
  });

  it('onResult maps each value before it is collected (and for run)', async () => {
    const pool = track(
      new Pool({ worker: fixture('multiply.mjs'), workers: 2, onResult: (r: { product: number }) => `the answer is: ${r.product}` }),
    );
    pool.add({ a: 3, b: 4 });
    expect(await pool.next()).toMatchObject({ status: 'fulfilled', value: 'the answer is: 12' });
    expect(await pool.run({ a: 2, b: 5 })).toBe('the answer is: 10');
  });

  it('results stay collectable after close, graceful or forced', async () => {
    const pool = track(new Pool({ worker: fixture('sleep.mjs'), workers: 2 }));
    pool.add({ ms: 20, value: 1 }, { ms: 20, value: 2 });
    await pool.close();
    const values: unknown[] = [];
    for await (const o of pool.results()) values.push(o.status === 'fulfilled' ? o.value : o.reason);
    expect(values.sort()).toEqual([1, 2]);

    const forced = track(new Pool({ worker: fixture('sleep.mjs'), workers: 1 }));
    forced.add({ ms: 5000 }, { ms: 5000 });
    await sleep(100);
    await forced.close({ force: true });
    expect(forced.pending).toBe(2);
    const codes: unknown[] = [];
    for await (const o of forced.results()) codes.push(o.status === 'rejected' ? (o.reason as { code: string }).code : o.value);
    expect(codes).toEqual(['ERR_POOL_CLOSED', 'ERR_POOL_CLOSED']);
  });

  it('two concurrent next() calls get different outcomes; a third with nothing left rejects', async () => {
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 2 }));
    pool.add('a', 'b');
    const [x, y] = await Promise.all([pool.next(), pool.next()]);
    expect(new Set([x, y].map((o) => (o.status === 'fulfilled' ? o.value : null)))).toEqual(new Set(['a', 'b']));
    await expect(pool.next()).rejects.toMatchObject({ code: 'ERR_NO_PENDING_JOBS' });
  });
});
