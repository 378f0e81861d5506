import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { Liveness } from '../../dist/bullmq/liveness.js';
import { waitFor } from '../helpers.js';
import { describeOwnRedis, startOwnRedis, stopOwnRedis } from './redis.js';

afterEach(stopOwnRedis);

describeOwnRedis('Liveness: when Redis counts as away', () => {
  it('a PING unanswered for the timeout (Redis paused) expires once; the answer after SIGCONT ends it', async () => {
    const redis = await startOwnRedis();
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    const events: string[] = [];
    const liveness = new Liveness(client, { timeout: 300, expired: () => events.push('expired'), back: () => events.push('back') });
    try {
      await client.ping();
      liveness.start();
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(events).toEqual([]);
      redis.signal('SIGSTOP');
      await waitFor(() => events.length > 0, 5000, 'the outage to be noticed');
      expect(events).toEqual(['expired']);
      expect(liveness.expired).toBe(true);
      redis.signal('SIGCONT');
      await waitFor(() => events.length > 1, 5000, 'Redis to answer again');
      expect(events).toEqual(['expired', 'back']);
      expect(liveness.expired).toBe(false);
    } finally {
      liveness.stop();
      client.disconnect();
    }
  });

  it('this process blocked past the timeout, with a PING in flight, is not an outage: the answer waiting in the socket counts', async () => {
    const redis = await startOwnRedis();
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    let expired = 0;
    const liveness = new Liveness(client, { timeout: 300, expired: () => expired++, back: () => undefined });
    try {
      await client.ping();
      // start() sends the first PING at once; Redis answers it while this process is blocked.
      liveness.start();
      const until = Date.now() + 1000;
      while (Date.now() < until);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(expired).toBe(0);
    } finally {
      liveness.stop();
      client.disconnect();
    }
  });
});
