import { afterAll, beforeAll, expect, it } from 'vitest';
import { DistributedPool } from '../../dist/bullmq/index.js';
import { isAlive, track, waitFor } from '../helpers.js';
import { childrenOf, dropQueue, queueName, startHost, withQueue } from './hosts.js';
import { describeRedis, startRedis, type RedisHandle } from './redis.js';

const JOBS = 40;

describeRedis('worker hosts going away', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('a SIGKILLed host loses nothing: its jobs rerun on another host and settle once', async () => {
    const queue = queueName();
    const victim = await startHost(redis.url, queue, ['--workers', '2']);
    const pool = track(new DistributedPool({ connection: redis.url, queue }));
    pool.add(...Array.from({ length: JOBS }, (_, n) => ({ n, sleepMs: 200 })));
    // Kill the only host while it holds jobs, then start a survivor.
    await waitFor(() => withQueue(redis.url, queue, async (q) => (await q.getActiveCount()) >= 2), 15_000, 'the host to take jobs');
    const held = new Set(await withQueue(redis.url, queue, async (q) => (await q.getActive()).map((job) => job.data.job.n as number)));
    const orphans = childrenOf(victim.pid);
    expect(orphans.length).toBeGreaterThan(0);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const killedAt = Date.now();
    const survivor = await startHost(redis.url, queue, ['--workers', '2']);

    const seen = new Map<number, number>();
    let heldSettledAt = 0;
    for await (const outcome of pool.results()) {
      expect(outcome.status).toBe('fulfilled');
      if (outcome.status !== 'fulfilled') continue;
      seen.set(outcome.job.n, (seen.get(outcome.job.n) ?? 0) + 1);
      held.delete(outcome.job.n);
      if (held.size === 0 && heldSettledAt === 0) heldSettledAt = Date.now();
    }
    expect(seen.size).toBe(JOBS);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    // The jobs the dead host held were given back (stalled) and run by the survivor.
    const stalled = await withQueue(redis.url, queue, async (q) => (await q.getCompleted(0, -1)).filter((job) => job.stalledCounter > 0).length);
    expect(stalled).toBeGreaterThan(0);
    // The dead host's worker processes do not outlive it.
    await waitFor(() => orphans.every((pid) => !isAlive(pid)), 10_000, 'the killed host\'s processes to exit');
    // A measurement, not an assertion: with the default locks this is a few seconds (BullMQ's own defaults: about a minute).
    console.log(`host SIGKILL: the ${stalled} jobs the dead host held all settled ${heldSettledAt - killedAt} ms after the kill`);
    await pool.close();
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
    await dropQueue(redis.url, queue);
  });

  it('a job whose hosts are lost more often than --max-stalled-count fails with ERR_WORKER_HOST_LOST', async () => {
    const queue = queueName();
    const options = ['--workers', '1', '--max-stalled-count', '0', '--lock-duration', '1000', '--stalled-interval', '300'];
    const victim = await startHost(redis.url, queue, options);
    const pool = track(new DistributedPool({ connection: redis.url, queue }));
    const outcome = pool.run({ n: 1, sleepMs: 20_000 }).catch((error: unknown) => error);
    await waitFor(() => withQueue(redis.url, queue, async (q) => (await q.getActiveCount()) >= 1), 15_000, 'the host to take the job');
    const orphans = childrenOf(victim.pid);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    // The survivor's stalled check finds the dead host's job and, with no loss allowed, fails it.
    const survivor = await startHost(redis.url, queue, options);
    expect(await outcome).toMatchObject({ code: 'ERR_WORKER_HOST_LOST', name: 'WorkerHostLostError' });
    await waitFor(() => orphans.every((pid) => !isAlive(pid)), 10_000, "the killed host's processes to exit");
    await pool.close();
    survivor.child.kill('SIGTERM');
    expect(await survivor.exited).toBe(0);
    await dropQueue(redis.url, queue);
  });

  it('SIGTERM: the host takes no more jobs, finishes the running ones and exits 0', async () => {
    const queue = queueName();
    const host = await startHost(redis.url, queue, ['--workers', '2']);
    const pool = track(new DistributedPool({ connection: redis.url, queue }));
    pool.add(...Array.from({ length: 12 }, (_, n) => ({ n, sleepMs: 1000 })));
    await waitFor(() => withQueue(redis.url, queue, async (q) => (await q.getActiveCount()) >= 2), 15_000, 'the host to take jobs');
    const taken = await withQueue(redis.url, queue, (q) => q.getActiveCount());
    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
    expect(host.stderr()).toMatch(/stopping/);
    // Everything it had taken finished there and was reported; the rest is still waiting, untouched.
    // (Waiting jobs are `prioritized`: every forkpool job has a BullMQ priority.)
    const counts = await withQueue(redis.url, queue, (q) => q.getJobCounts('prioritized', 'active', 'completed', 'failed'));
    expect(counts).toMatchObject({ active: 0, failed: 0 });
    const { prioritized = 0, completed = 0 } = counts;
    expect(completed).toBeGreaterThanOrEqual(taken);
    expect(prioritized + completed).toBe(12);
    for (let i = 0; i < completed; i++) {
      expect(await pool.next()).toMatchObject({ status: 'fulfilled', value: { host: host.pid } });
    }
    // A new host picks up the rest: nothing was lost.
    const next = await startHost(redis.url, queue, ['--workers', '2']);
    let rest = 0;
    for await (const outcome of pool.results()) {
      expect(outcome).toMatchObject({ status: 'fulfilled', value: { host: next.pid } });
      rest++;
    }
    expect(rest).toBe(prioritized);
    await pool.close();
    next.child.kill('SIGTERM');
    expect(await next.exited).toBe(0);
    await dropQueue(redis.url, queue);
  });
});
