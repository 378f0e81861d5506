import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DistributedPool } from '../../dist/bullmq/index.js';
import { track } from '../helpers.js';
import { CLI, WORK, dropQueue, queueName, startHost } from './hosts.js';
import { describeRedis, startRedis, type RedisHandle } from './redis.js';

const JOBS = 2000;

describeRedis('distributed round trip', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it(`runs ${JOBS} jobs through two forkpool worker hosts, each settled once`, async () => {
    const queue = queueName();
    const [a, b] = await Promise.all([startHost(redis.url, queue, ['--workers', '2']), startHost(redis.url, queue, ['--workers', '2'])]);
    const pool = track(new DistributedPool({ connection: redis.url, queue }));
    pool.add(...Array.from({ length: JOBS }, (_, n) => ({ n })));
    expect(pool.pending).toBe(JOBS);
    const seen = new Set<number>();
    const hosts = new Map<number, number>();
    for await (const outcome of pool.results()) {
      expect(outcome.status).toBe('fulfilled');
      if (outcome.status !== 'fulfilled') continue;
      expect(outcome.value.square).toBe(outcome.job.n ** 2);
      expect(seen.has(outcome.job.n)).toBe(false);
      seen.add(outcome.job.n);
      hosts.set(outcome.value.host, (hosts.get(outcome.value.host) ?? 0) + 1);
    }
    expect(seen.size).toBe(JOBS);
    expect(pool.nextNow()).toBeUndefined();
    // Both hosts took part: the queue spreads the work.
    expect([...hosts.keys()].sort()).toEqual([a.pid, b.pid].sort());
    await pool.close();
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    await dropQueue(redis.url, queue);
    // Two shared cores run the hosts, their processes, Redis and this test: allow more than the default.
  }, 120_000);

  it('forkpool run --redis writes the same lines and exit code as a local run', async () => {
    const queue = queueName();
    const host = await startHost(redis.url, queue, ['--workers', '2']);
    // Results without the host pid, so the local and remote output can be compared byte for byte.
    const lines = [...Array.from({ length: 200 }, (_, n) => JSON.stringify({ n, sleepMs: n % 7 })), 'not json', '{"n":1,"throw":"no"}', ''].join('\n');
    const strip = (out: string) => out.replace(/,"host":\d+/g, '');
    const runCli = async (args: string[]) => {
      const child = spawn(process.execPath, [CLI, 'run', ...args, '--ordered'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdin.end(lines);
      const [code] = await once(child, 'exit');
      return { code, stdout: strip(stdout), stderr };
    };
    const remote = await runCli(['--redis', redis.url, '--queue', queue]);
    const local = await runCli([WORK, '--workers', '2']);
    expect(remote.stdout.split('\n').length).toBe(203);
    expect(remote.stdout).toBe(local.stdout);
    expect(remote.code).toBe(1);
    expect(remote.code).toBe(local.code);
    expect(remote.stderr).toMatch(/200 done, 2 failed/);
    host.child.kill('SIGTERM');
    expect(await host.exited).toBe(0);
    await dropQueue(redis.url, queue);
  });

  it('forkpool run --redis: a Redis that cannot be reached is a usage error (exit 2)', async () => {
    const child = spawn(process.execPath, [CLI, 'run', '--redis', 'redis://127.0.0.1:1', '--queue', 'x'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.end('{"n":1}\n');
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toMatch(/Redis was not available/);
  });
});
