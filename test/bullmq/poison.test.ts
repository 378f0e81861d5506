import { afterAll, beforeAll, expect, it } from 'vitest';
import { DistributedPool, DistributedWorker } from '../../dist/bullmq/index.js';
import { fixture, track } from '../helpers.js';
import { dropQueue, queueName } from './hosts.js';
import { describeRedis, startRedis, type RedisHandle } from './redis.js';

describeRedis('a poison error name on a distributed host', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('reaches the producer as an Error of that name, and the host serves the next job', async () => {
    const queue = queueName();
    const host = track(await DistributedWorker.start({ worker: fixture('hostile-channel.mjs'), workers: 1, connection: redis.url, queue }));
    const pool = track(new DistributedPool({ connection: redis.url, queue }));
    for (const name of ['toString', '__proto__', 'constructor']) {
      const error = await pool.run({ stage: 'throw', how: 'name', name }).then(
        () => undefined,
        (reason: unknown) => reason,
      );
      expect(error).toBeInstanceOf(Error);
      expect(error).toMatchObject({ name, message: 'thrown with name' });
    }
    await expect(pool.run('next')).resolves.toMatchObject({ echo: 'next' });
    await pool.close();
    await host.close();
    await dropQueue(redis.url, queue);
  });
});
