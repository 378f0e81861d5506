/**
 * Named tasks, priorities and progress through Redis: `name` travels in the job, `priority`
 * becomes BullMQ's, `ctx.progress` becomes BullMQ job progress.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DistributedPool, DistributedWorker } from '../../dist/bullmq/index.js';
import { ForkpoolError, TaskUnknownError } from '../../dist/index.js';
import { track, waitFor } from '../helpers.js';
import { WORK, dropQueue, queueName, withQueue } from './hosts.js';
import { describeRedis, startRedis, type RedisHandle } from './redis.js';

describeRedis('distributed named tasks, priorities and progress', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('runs the export a job names, the default one without a name; an unknown name rejects with ERR_TASK_UNKNOWN and the host lives on', async () => {
    const queue = queueName();
    const host = track(await DistributedWorker.start({ worker: WORK, workers: 1, connection: redis.url, queue }));
    const pool = track(new DistributedPool({ connection: redis.url, queue }));
    await expect(pool.run({ n: 3 }, { name: 'cube' })).resolves.toMatchObject({ cube: 27 });
    await expect(pool.run({ n: 3 })).resolves.toMatchObject({ square: 9 });
    const unknown = await pool.run({ n: 3 }, { name: 'resize' }).catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(TaskUnknownError);
    expect(unknown).toBeInstanceOf(ForkpoolError);
    expect(unknown).toMatchObject({ code: 'ERR_TASK_UNKNOWN', message: expect.stringMatching(/"resize".*cube/) });
    const pids = host.pids;
    await expect(pool.run({ n: 4 }, { name: 'cube' })).resolves.toMatchObject({ cube: 64 });
    expect(host.pids).toEqual(pids);
    await pool.close();
    await host.close();
    await dropQueue(redis.url, queue);
  });

  it('rejects a bad name, priority or onProgress at once with ERR_INVALID_OPTION, sending nothing', async () => {
    const queue = queueName();
    const pool = track(new DistributedPool({ connection: redis.url, queue }));
    for (const [options, option] of [
      [{ name: '' }, 'name'],
      [{ name: 7 }, 'name'],
      [{ priority: 1.5 }, 'priority'],
      [{ priority: '1' }, 'priority'],
      [{ priority: 1_048_576 }, 'priority'],
      [{ priority: -1_048_576 }, 'priority'],
      [{ onProgress: 'log' }, 'onProgress'],
      // Jobs are JSON through Redis: nothing to hand over.
      [{ transfer: [new ArrayBuffer(8)] }, 'transfer'],
    ] as const) {
      await expect(pool.run({ n: 1 }, options as never), JSON.stringify(options)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option });
    }
    expect(pool.inFlight).toBe(0);
    await pool.close();
    await dropQueue(redis.url, queue);
  });

  it('higher priorities run first among waiting jobs, in order of submission within a priority, across the whole allowed range', async () => {
    const queue = queueName();
    const pool = track(new DistributedPool({ connection: redis.url, queue }));
    const priorities = [0, 5, -3, 5, 0, 1_048_575, -1_048_575, 1, 0, 5, -3];
    const order: number[] = [];
    const runs = Promise.all(priorities.map((priority, n) => pool.run({ n }, { priority }).then(() => order.push(n))));
    runs.catch(() => undefined); // awaited below; a failure before that is the test's, not unhandled
    // All are waiting in Redis before a host exists, so the order is the queue's alone.
    await waitFor(() => withQueue(redis.url, queue, async (q) => ((await q.getJobCounts('prioritized')).prioritized ?? 0) === priorities.length), 10_000, 'the jobs to reach Redis');
    const host = track(await DistributedWorker.start({ worker: WORK, workers: 1, concurrency: 1, connection: redis.url, queue }));
    await runs;
    const expected = priorities
      .map((priority, n) => ({ priority, n }))
      .sort((a, b) => b.priority - a.priority || a.n - b.n)
      .map(({ n }) => n);
    expect(order).toEqual(expected);
    await pool.close();
    await host.close();
    await dropQueue(redis.url, queue);
  });

  it('ctx.progress values reach onProgress and the progress event in order, before the job settles', async () => {
    const queue = queueName();
    const host = track(await DistributedWorker.start({ worker: WORK, workers: 1, connection: redis.url, queue }));
    const pool = track(new DistributedPool({ connection: redis.url, queue }));
    const heard: unknown[] = [];
    const events: Array<{ jobId: string; value: unknown }> = [];
    pool.on('progress', (event) => events.push(event));
    let settledAfter = -1;
    const value = await pool.run({ n: 2, progress: 4, sleepMs: 50 }, { onProgress: (progress) => heard.push(progress) }).then((result) => {
      settledAfter = heard.length;
      return result;
    });
    expect(value).toMatchObject({ square: 4 });
    const steps = [0, 1, 2, 3].map((step) => ({ step }));
    expect(heard).toEqual(steps);
    expect(settledAfter).toBe(4);
    expect(events.map((event) => event.value)).toEqual(steps);
    expect(new Set(events.map((event) => event.jobId)).size).toBe(1);
    // A job that reports nothing hears nothing; another job's progress is not its own.
    const quiet: unknown[] = [];
    await Promise.all([pool.run({ n: 1 }, { onProgress: (progress) => quiet.push(progress) }), pool.run({ n: 5, progress: 2 })]);
    expect(quiet).toEqual([]);
    await pool.close();
    await host.close();
    await dropQueue(redis.url, queue);
  });
});
