import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { DistributedPool, DistributedWorker } from '../../dist/bullmq/index.js';
import { isAlive, track, waitFor } from '../helpers.js';
import { CLI, WORK, queueName, startHost, withQueue } from './hosts.js';
import { describeOwnRedis, startOwnRedis, stopOwnRedis } from './redis.js';

/** Every test here starts, stops, pauses and restarts its own redis-server. */
afterEach(stopOwnRedis);

/** Resolves once `count` jobs of the queue are active (taken by a host). */
function activeAtLeast(url: string, queue: string, count: number): Promise<void> {
  return waitFor(() => withQueue(url, queue, async (q) => (await q.getActiveCount()) >= count), 15_000, `${count} active jobs`);
}

/** `forkpool run --redis` with `lines` on stdin; resolves with its exit code, output and how long it ran. */
function runCli(args: string[], lines: string) {
  const started = Date.now();
  const child = spawn(process.execPath, [CLI, 'run', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(lines);
  return {
    child,
    done: once(child, 'exit').then(([code]) => ({ code: code as number | null, stdout, stderr, ms: Date.now() - started })),
  };
}

const jobLines = (count: number, sleepMs: number) => `${Array.from({ length: count }, (_, n) => JSON.stringify({ n, sleepMs })).join('\n')}\n`;

describeOwnRedis('Redis faults', () => {
  it('Redis stopped for good: forkpool run fails each pending job with ERR_REDIS_UNAVAILABLE after --redis-timeout and exits 1; the host waits, and on SIGTERM logs the results it could not report and exits 1', async () => {
    const redis = await startOwnRedis();
    const queue = queueName();
    const host = await startHost(redis.url, queue, ['--workers', '2', '--redis-timeout', '1000']);
    const run = runCli(['--redis', redis.url, '--queue', queue, '--redis-timeout', '2000'], jobLines(10, 3000));
    await activeAtLeast(redis.url, queue, 2);
    await redis.stop();
    const stoppedAt = Date.now();
    const { code, stdout, stderr } = await run.done;
    const settledAfter = Date.now() - stoppedAt;
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n').map((line) => JSON.parse(line) as { index: number; error?: { code: string } });
    expect(lines).toHaveLength(10);
    expect(new Set(lines.map((line) => line.index)).size).toBe(10);
    for (const line of lines) expect(line.error?.code).toBe('ERR_REDIS_UNAVAILABLE');
    expect(stderr).toMatch(/0 done, 10 failed/);
    // The deadline is 2 s after Redis stopped answering; generous room for two loaded cores.
    expect(settledAfter).toBeLessThan(2000 + 8000);
    console.log(`Redis stopped: forkpool run --redis-timeout 2000 settled every job and exited ${settledAfter} ms after the stop`);

    // The host is still there, waiting for Redis; SIGTERM stops it within a bound anyway.
    expect(isAlive(host.pid)).toBe(true);
    const signalledAt = Date.now();
    host.child.kill('SIGTERM');
    // Running jobs finish (at most 3 s), then 1 s (--redis-timeout) to report them.
    const exit = await Promise.race([host.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    expect(exit).toBe(1);
    expect(host.stderr()).toMatch(/lost: job \S+ completed here, but Redis did not take its outcome/);
    expect(host.stderr()).toMatch(/outcomes lost/);
    console.log(`Redis stopped: the host exited ${Date.now() - signalledAt} ms after SIGTERM`);
  });

  it('DistributedPool: with Redis gone, every job settles with ERR_REDIS_UNAVAILABLE within redisTimeout, new jobs fail at once, close() returns within the same bound', async () => {
    const redis = await startOwnRedis();
    // No host: the jobs wait in Redis. One pool is closed at once, the other waits for its jobs.
    const closed = track(new DistributedPool({ connection: redis.url, queue: queueName(), redisTimeout: 1500 }));
    const waiting = track(new DistributedPool({ connection: redis.url, queue: queueName(), redisTimeout: 1500 }));
    const outcomes = (pool: DistributedPool) => Promise.allSettled(Array.from({ length: 5 }, (_, n) => pool.run({ n })));
    const [closedOutcomes, waitingOutcomes] = [outcomes(closed), outcomes(waiting)];
    await waitFor(() => closed.inFlight === 5 && waiting.inFlight === 5, 5000, 'the jobs to be sent');
    await Promise.all([closed.ready(), waiting.ready()]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await redis.stop();
    const stoppedAt = Date.now();
    await closed.close();
    const closedAfter = Date.now() - stoppedAt;
    const settled = await waitingOutcomes;
    const settledAfter = Date.now() - stoppedAt;
    for (const outcome of [...(await closedOutcomes), ...settled]) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'ERR_REDIS_UNAVAILABLE' } });
    // Generous room over the 1.5 s deadline for two loaded cores.
    expect(closedAfter).toBeLessThan(1500 + 5000);
    expect(settledAfter).toBeLessThan(1500 + 5000);
    // Redis still away: a new job fails at once rather than after another deadline.
    const before = Date.now();
    await expect(waiting.run({ n: 99 })).rejects.toMatchObject({ code: 'ERR_REDIS_UNAVAILABLE' });
    expect(Date.now() - before).toBeLessThan(1000);
    await waiting.close();
    console.log(`Redis stopped: DistributedPool (redisTimeout 1500) settled its jobs ${settledAfter} ms and close() returned ${closedAfter} ms after the stop`);
  });

  it('Redis stopped 4 s and back (with its data) before the deadline: the run carries on, every job settles once, the host serves on', async () => {
    const redis = await startOwnRedis({ persistent: true });
    const queue = queueName();
    const host = await startHost(redis.url, queue, ['--workers', '2']);
    const pool = track(new DistributedPool({ connection: redis.url, queue, redisTimeout: 20_000 }));
    pool.add(...Array.from({ length: 12 }, (_, n) => ({ n, sleepMs: 400 })));
    await activeAtLeast(redis.url, queue, 2);
    await redis.stop();
    // Longer than the hosts' 3 s locks: the jobs running at the stop finish while Redis is away,
    // their locks are gone when it is back, so they run again (at least once), and settle once.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    await redis.start();
    const seen = new Map<number, number>();
    for await (const outcome of pool.results()) {
      expect(outcome).toMatchObject({ status: 'fulfilled', value: { host: host.pid } });
      seen.set(outcome.job.n, (seen.get(outcome.job.n) ?? 0) + 1);
    }
    expect(seen.size).toBe(12);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    const reruns = await withQueue(redis.url, queue, async (q) => (await q.getCompleted(0, -1)).filter((job) => job.stalledCounter > 0).length);
    console.log(`Redis stopped 4 s and back with its data: 12 jobs settled once each; ${reruns} ran again after their lock expired`);
    // The same host, never restarted, runs a new job.
    expect(await pool.run({ n: 20 })).toMatchObject({ square: 400, host: host.pid });
    await pool.close();
    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
  });

  it('Redis paused (SIGSTOP 5 s, then SIGCONT): nothing lost, nothing settled twice', async () => {
    const redis = await startOwnRedis();
    const queue = queueName();
    const host = await startHost(redis.url, queue, ['--workers', '2']);
    const pool = track(new DistributedPool({ connection: redis.url, queue, redisTimeout: 20_000 }));
    pool.add(...Array.from({ length: 12 }, (_, n) => ({ n, sleepMs: 400 })));
    await activeAtLeast(redis.url, queue, 2);
    redis.signal('SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, 5000));
    redis.signal('SIGCONT');
    const seen = new Map<number, number>();
    for await (const outcome of pool.results()) {
      expect(outcome.status).toBe('fulfilled');
      seen.set(outcome.job.n, (seen.get(outcome.job.n) ?? 0) + 1);
    }
    expect(seen.size).toBe(12);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(isAlive(host.pid)).toBe(true);
    const reruns = await withQueue(redis.url, queue, async (q) => (await q.getCompleted(0, -1)).filter((job) => job.stalledCounter > 0).length);
    console.log(`Redis paused 5 s: 12 jobs settled once each; ${reruns} ran again after their lock expired`);
    await pool.close();
    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
  });

  it('Redis restarted empty: each pending job settles with ERR_JOB_LOST, and the host serves new jobs on the new Redis without a restart', async () => {
    const redis = await startOwnRedis();
    const queue = queueName();
    const host = await startHost(redis.url, queue, ['--workers', '2']);
    const pool = track(new DistributedPool({ connection: redis.url, queue, redisTimeout: 20_000 }));
    const pending = Promise.allSettled(Array.from({ length: 8 }, (_, n) => pool.run({ n, sleepMs: 2000 })));
    await activeAtLeast(redis.url, queue, 2);
    await redis.stop();
    await redis.start();
    const restartedAt = Date.now();
    for (const outcome of await pending) expect(outcome).toMatchObject({ status: 'rejected', reason: { code: 'ERR_JOB_LOST' } });
    const lostAfter = Date.now() - restartedAt;
    expect(lostAfter).toBeLessThan(10_000);
    console.log(`Redis restarted empty: the 8 pending jobs settled with ERR_JOB_LOST ${lostAfter} ms after the restart`);
    expect(await pool.run({ n: 5 })).toMatchObject({ square: 25, host: host.pid });
    await pool.close();
    host.child.kill('SIGTERM');
    await host.exited;
  });

  it('SIGTERM to a host while Redis is paused: running jobs finish, their results are logged as lost, exit 1 within a bound', async () => {
    const redis = await startOwnRedis();
    const queue = queueName();
    const host = await startHost(redis.url, queue, ['--workers', '2', '--redis-timeout', '1000']);
    const pool = track(new DistributedPool({ connection: redis.url, queue }));
    pool.add(...Array.from({ length: 4 }, (_, n) => ({ n, sleepMs: 1500 })));
    await activeAtLeast(redis.url, queue, 2);
    redis.signal('SIGSTOP');
    host.child.kill('SIGTERM');
    const exit = await Promise.race([host.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    expect(exit).toBe(1);
    expect(host.stderr()).toMatch(/lost: job/);
    redis.signal('SIGCONT');
    await pool.close({ force: true });
  });

  it('a producer whose own event loop stalls longer than redisTimeout does not take that for a Redis outage', async () => {
    const redis = await startOwnRedis();
    const queue = queueName();
    const host = await startHost(redis.url, queue, ['--workers', '1']);
    const pool = track(new DistributedPool({ connection: redis.url, queue, redisTimeout: 300 }));
    await pool.ready();
    const job = pool.run({ n: 3, sleepMs: 1000 });
    await activeAtLeast(redis.url, queue, 1);
    // Blocked five times redisTimeout: Redis answered meanwhile, only this process did not listen.
    const until = Date.now() + 1500;
    while (Date.now() < until);
    expect(await job).toMatchObject({ square: 9 });
    await pool.close();
    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
  });

  it('Redis unreachable at start: forkpool worker exits 2 within --redis-timeout', async () => {
    const redis = await startOwnRedis();
    const url = redis.url;
    await redis.stop();
    const started = Date.now();
    const child = spawn(process.execPath, [CLI, 'worker', WORK, '--redis', url, '--queue', 'q', '--redis-timeout', '500'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toMatch(/Redis was not available/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('redisTimeout is validated: ERR_INVALID_OPTION naming it, and a usage error (exit 2) in the CLI', async () => {
    const invalid = expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'redisTimeout' });
    expect(() => new DistributedPool({ connection: 'redis://127.0.0.1:6379', queue: 'q', redisTimeout: 0 })).toThrow(invalid);
    expect(() => new DistributedPool({ connection: 'redis://127.0.0.1:6379', queue: 'q', redisTimeout: '5s' as never })).toThrow(invalid);
    await expect(DistributedWorker.start({ worker: WORK, connection: 'redis://127.0.0.1:6379', queue: 'q', redisTimeout: 1.5 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'redisTimeout' });
    for (const args of [['--redis', 'redis://127.0.0.1:6379', '--queue', 'q', '--redis-timeout', '0'], ['--redis-timeout', '1000']]) {
      const { code, stderr } = await runCli(args, '').done;
      expect(code).toBe(2);
      expect(stderr).toMatch(/redis-timeout|--redis and --queue/);
    }
    const worker = spawn(process.execPath, [CLI, 'worker', WORK, '--redis', 'redis://127.0.0.1:6379', '--queue', 'q', '--redis-timeout', 'soon'], { stdio: 'ignore' });
    expect((await once(worker, 'exit'))[0]).toBe(2);
  });
});
