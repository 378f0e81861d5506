import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DistributedPool, DistributedWorker } from '../../dist/bullmq/index.js';
import { ForkpoolError, JobTimeoutError, WorkerCrashedError } from '../../dist/index.js';
import { track, waitFor } from '../helpers.js';
import { WORK, dropQueue, queueName, startHost, withQueue } from './hosts.js';
import { describeRedis, startRedis, type RedisHandle } from './redis.js';

/** Enough jobs that their events overflow a stream capped at 10 entries many times over. */
const JOBS = 300;

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

  it('outcomes whose events were dropped from the capped event stream are read from the job state', async () => {
    const queue = queueName();
    // A host in its own process: it keeps finishing jobs while this one is blocked.
    const host = await startHost(redis.url, queue, ['--workers', '2']);
    const pool = track(new DistributedPool({ connection: redis.url, queue, reconcileInterval: 100 }));
    await pool.ready();
    // BullMQ caps the event stream at the queue's maxLen; 10 here (public option), so most events
    // of 300 jobs are trimmed before this producer, stalled below, reads them.
    const cappedConnection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const capped = new Queue(queue, { connection: cappedConnection, streams: { events: { maxLen: 10 } } });
    // Its queue settings are written once it is connected; a later command on it comes after them.
    await capped.waitUntilReady();
    // Paused until this process is blocked: the host runs nothing before.
    await capped.pause();
    await capped.close();
    cappedConnection.disconnect();
    const jobs = Array.from({ length: JOBS }, (_, n) => (n % 10 === 3 ? { n, throw: 'not a square' } : { n }));
    const settled = Promise.allSettled(jobs.map((job) => pool.run(job)));
    // A paused queue keeps its jobs waiting (`prioritized`: every forkpool job has a BullMQ priority).
    await waitFor(() => withQueue(redis.url, queue, async (q) => ((await q.getJobCounts('prioritized')).prioritized ?? 0) >= JOBS), 10_000, 'the jobs to reach Redis');
    // This process (the producer) is blocked from the queue's resume until the host has finished every job.
    const waited = spawnSync(process.execPath, [fileURLToPath(new URL('./wait-finished.mjs', import.meta.url)), redis.url, queue, String(JOBS)], { timeout: 25_000 });
    expect(waited.status, String(waited.stderr)).toBe(0);
    const outcomes = await settled;
    outcomes.forEach((outcome, n) => {
      if (n % 10 === 3) expect(outcome).toMatchObject({ status: 'rejected', reason: { name: 'RangeError', code: 'E_USER', message: 'not a square' } });
      else expect(outcome).toMatchObject({ status: 'fulfilled', value: { square: n * n } });
    });
    await pool.close();
    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
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
