import { afterAll, beforeAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { DistributedPool, DistributedWorker } from '../../dist/bullmq/index.js';
import { ForkpoolError, JobTimeoutError, WorkerCrashedError } from '../../dist/index.js';
import { track } from '../helpers.js';
import { WORK, dropQueue, queueName, withQueue } from './hosts.js';
import { describeRedis, startRedis, type RedisHandle } from './redis.js';

describeRedis('distributed failures keep their codes', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('timeouts, crashes and thrown errors reach the producer as locally', async () => {
    const queue = queueName();
    const host = track(await DistributedWorker.start({ worker: WORK, workers: 2, connection: redis.url, queue, timeout: 1000 }));
    const pool = track(new DistributedPool({ connection: redis.url, queue, maxRetries: 2 }));
    const [hostTimeout, ownTimeout, crash, thrown, fine] = await Promise.allSettled([
      pool.run({ n: 1, hang: true }),
      pool.run({ n: 2, hang: true }, { timeout: 150 }),
      pool.run({ n: 3, exit: 7 }),
      pool.run({ n: 4, throw: 'not a square' }),
      pool.run({ n: 5 }),
    ]);
    expect(fine).toMatchObject({ status: 'fulfilled', value: { square: 25 } });

    const t1 = (hostTimeout as PromiseRejectedResult).reason;
    expect(t1).toBeInstanceOf(JobTimeoutError);
    expect(t1).toBeInstanceOf(ForkpoolError);
    expect(t1).toMatchObject({ code: 'ERR_JOB_TIMEOUT', timeout: 1000 });
    expect((ownTimeout as PromiseRejectedResult).reason).toMatchObject({ code: 'ERR_JOB_TIMEOUT', timeout: 150 });

    // A crash is retried as BullMQ attempts (maxRetries 2 → 3 attempts), then reported with its exit code.
    const c = (crash as PromiseRejectedResult).reason;
    expect(c).toBeInstanceOf(WorkerCrashedError);
    expect(c).toMatchObject({ code: 'ERR_WORKER_CRASHED', exitCode: 7, signal: null, attempts: 3 });
    expect(c.message).toMatch(/exited with code 7.*attempt 3/);

    // The worker's own error: its name, message and code survive; it is not retried.
    const e = (thrown as PromiseRejectedResult).reason;
    expect(e).toBeInstanceOf(Error);
    expect(e).toMatchObject({ name: 'RangeError', message: 'not a square', code: 'E_USER' });
    const attempts = await withQueue(redis.url, queue, async (q) => {
      const jobs = await q.getFailed();
      return Object.fromEntries(jobs.map((job) => [job.data.job.n, job.attemptsMade]));
    });
    expect(attempts).toEqual({ 1: 1, 2: 1, 3: 3, 4: 1 });
    await pool.close();
    await host.close();
    await dropQueue(redis.url, queue);
  });

  it('an outcome whose event was missed is read from the job state', async () => {
    const queue = queueName();
    const pool = track(new DistributedPool({ connection: redis.url, queue, reconcileInterval: 100 }));
    await pool.ready();
    // No host runs: the test finishes the jobs in Redis by hand, as a host would, but writes no
    // event (as when the capped event stream dropped it, or the listener was reconnecting).
    const settled = Promise.allSettled([pool.run({ n: 6 }), pool.run({ n: 7 }), pool.run({ n: 8 })]);
    const client = new Redis(redis.url);
    try {
      let ids: string[] = [];
      const deadline = Date.now() + 10_000;
      while (ids.length < 3 && Date.now() < deadline) {
        ids = (await client.lrange(`bull:${queue}:wait`, 0, -1)).reverse();
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(ids).toHaveLength(3);
      await client.del(`bull:${queue}:wait`);
      const [a, b, c] = ids as [string, string, string];
      await client.hset(`bull:${queue}:${a}`, 'finishedOn', Date.now(), 'returnvalue', JSON.stringify({ square: 36 }));
      await client.hset(`bull:${queue}:${b}`, 'finishedOn', Date.now(), 'failedReason', 'gone wrong');
      await client.del(`bull:${queue}:${c}`);
    } finally {
      client.disconnect();
    }
    const [done, failed, lost] = await settled;
    expect(done).toEqual({ status: 'fulfilled', value: { square: 36 } });
    expect(failed).toMatchObject({ status: 'rejected', reason: { message: 'gone wrong' } });
    expect(lost).toMatchObject({ status: 'rejected', reason: { code: 'ERR_JOB_LOST' } });
    await pool.close();
    await dropQueue(redis.url, queue);
  });

  it('rejects what cannot work through Redis, with codes', async () => {
    expect(() => new DistributedPool({ connection: redis.url, queue: 'q', callbacks: { log() {} } as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'callbacks' }),
    );
    expect(() => new DistributedPool({ connection: 'localhost:6379', queue: 'q' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'connection' }));
    expect(() => new DistributedPool({ connection: redis.url, queue: 'a:b' })).toThrow(expect.objectContaining({ option: 'queue' }));
    const pool = track(new DistributedPool({ connection: redis.url, queue: queueName() }));
    await expect(pool.run(10n as never)).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    await pool.close();
    const unreachable = track(new DistributedPool({ connection: 'redis://127.0.0.1:1', queue: 'q', connectTimeout: 300 }));
    await expect(unreachable.run({ n: 1 })).rejects.toMatchObject({ code: 'ERR_REDIS_UNAVAILABLE' });
    await unreachable.close();
    await expect(DistributedWorker.start({ worker: WORK, workers: 1, connection: redis.url, queue: 'q', maxRetries: 1 } as never)).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
      option: 'maxRetries',
    });
  });
});
