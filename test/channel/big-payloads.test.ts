import { randomFillSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AbortError, Pool } from '../../dist/index.js';
import { fixture, track } from '../helpers.js';

const MIB = 1024 * 1024;

function bigBuffer(size: number): Buffer {
  return randomFillSync(Buffer.allocUnsafe(size));
}

/** A string of `units` UTF-16 units, with 2-, 3- and 4-byte UTF-8 characters in it. */
function bigString(units: number): string {
  return 'aé€😀'.repeat(Math.ceil(units / 5)).slice(0, units);
}

function bigObject(): Record<string, unknown> {
  const list = Array.from({ length: 60_000 }, (_, i) => ({ i, name: `item-${i}`, tags: ['a', 'b'], ratio: i / 7 }));
  return { list, nested: { deep: { text: bigString(300_000) } } };
}

/**
 * Exact equality (type, prototype, bytes) without vitest's element-by-element walk, which takes
 * minutes on multi-megabyte buffers.
 */
function expectSame(actual: unknown, expected: unknown): void {
  if (expected instanceof Uint8Array) {
    expect((actual as object | null)?.constructor).toBe(expected.constructor);
    expect(Buffer.compare(actual as Uint8Array, expected)).toBe(0);
  } else if (typeof expected === 'string') {
    expect(typeof actual).toBe('string');
    expect((actual as string).length).toBe(expected.length);
    expect(actual === expected).toBe(true);
  } else if (expected instanceof Map) {
    expect(actual).toBeInstanceOf(Map);
    const map = actual as Map<unknown, unknown>;
    expect([...map.keys()]).toStrictEqual([...expected.keys()]);
    for (const [key, value] of expected) expectSame(map.get(key), value);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual)).toBe(true);
    expect((actual as unknown[]).length).toBe(expected.length);
    // Long arrays here hold JSON data only: compare their text.
    if (expected.length > 64) expect(JSON.stringify(actual) === JSON.stringify(expected)).toBe(true);
    else {
      for (const [i, item] of expected.entries()) expectSame((actual as unknown[])[i], item);
    }
  } else if (expected !== null && typeof expected === 'object' && Object.getPrototypeOf(expected) === Object.prototype) {
    expect(Object.getPrototypeOf(actual)).toBe(Object.prototype);
    expect(Object.keys(actual as object)).toStrictEqual(Object.keys(expected));
    for (const key of Object.keys(expected)) expectSame((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key]);
  } else {
    expect(actual).toStrictEqual(expected);
  }
}

describe('big payloads through a real pool', () => {
  it('round-trips big Buffers, Uint8Arrays, strings and objects exactly', async () => {
    const pool = track(new Pool({ worker: fixture('big-payload.mjs'), workers: 2 }));
    const values: unknown[] = [
      bigBuffer(8 * MIB),
      new Uint8Array(bigBuffer(3 * MIB)),
      bigString(4 * MIB),
      bigObject(),
      { buffers: [bigBuffer(MIB), bigBuffer(MIB)], when: new Date(0), big: 10n ** 30n },
      Buffer.from('small'),
      { small: true },
    ];
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(values.map((value) => pool.run(value)));
      for (const [i, result] of results.entries()) expectSame(result, values[i]);
      expect(Buffer.isBuffer(results[0])).toBe(true);
      expect(Buffer.isBuffer(results[1])).toBe(false);
    }
    // Many 8 MiB jobs in flight both ways.
    const payload = bigBuffer(8 * MIB);
    const echoed = await Promise.all(Array.from({ length: 8 }, () => pool.run(payload)));
    for (const result of echoed) expect((result as Buffer).equals(payload)).toBe(true);
    await pool.close();
  });

  it('sends big results made from small jobs', async () => {
    const pool = track(new Pool({ worker: fixture('big-payload.mjs'), workers: 1 }));
    const made = (await pool.run({ op: 'make', size: 8 * MIB, fill: 3 })) as Buffer;
    expect(made.equals(Buffer.alloc(8 * MIB, 3))).toBe(true);
    await pool.close();
  });

  it('a result is the bytes at the moment work() returned, even if the worker reuses its buffer', async () => {
    // The worker fills one module-level buffer per job and returns it; the next job overwrites
    // it while the previous result may still be on its way.
    const pool = track(new Pool({ worker: fixture('big-payload.mjs'), workers: 1 }));
    for (const size of [64 * 1024, MIB, 5 * MIB]) {
      const results = await Promise.all(Array.from({ length: 12 }, (_, fill) => pool.run({ op: 'reuse', size, fill })));
      results.forEach((result, fill) => {
        expect((result as Buffer).length).toBe(size);
        expect((result as Buffer).equals(Buffer.alloc(size, fill))).toBe(true);
      });
    }
    await pool.close();
  });

  it('a job is the bytes at the moment run() was called, even if the caller changes them after', async () => {
    const pool = track(new Pool({ worker: fixture('big-payload.mjs'), workers: 1 }));
    const data = Buffer.alloc(2 * MIB, 1);
    const pending = Array.from({ length: 6 }, (_, i) => {
      data.fill(i);
      return pool.run(data);
    });
    data.fill(99);
    const results = await Promise.all(pending);
    for (const [i, result] of results.entries()) expect((result as Buffer).equals(Buffer.alloc(2 * MIB, i))).toBe(true);
    await pool.close();
  });

  it('reused job snapshots never mix jobs, with cancelled jobs in flight among them', async () => {
    // Big binary jobs are snapshotted into buffers the pool reuses once a job's worker has read
    // it. Cancelled jobs are the risky ones (their bytes may still be queued for a socket):
    // every fulfilled job must come back as exactly its own bytes.
    const pool = track(new Pool({ worker: fixture('big-payload.mjs'), workers: 2 }));
    const size = 256 * 1024;
    for (let round = 0; round < 4; round++) {
      const controllers: AbortController[] = [];
      const jobs = Array.from({ length: 24 }, (_, i) => {
        const controller = new AbortController();
        controllers.push(controller);
        return { fill: (round * 24 + i) % 251, promise: pool.run(Buffer.alloc(size, (round * 24 + i) % 251), { signal: controller.signal }) };
      });
      // Cancel every third job: some are still queued, some sent ahead, some running.
      for (const [i, controller] of controllers.entries()) {
        if (i % 3 === 1) controller.abort();
      }
      const settled = await Promise.allSettled(jobs.map((job) => job.promise));
      settled.forEach((outcome, i) => {
        if (i % 3 === 1 && outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(AbortError);
        else {
          expect(outcome.status).toBe('fulfilled');
          expect(Buffer.compare((outcome as PromiseFulfilledResult<Buffer>).value, Buffer.alloc(size, jobs[i]?.fill))).toBe(0);
        }
      });
    }
    expect(pool.stats().cancelled).toBeGreaterThan(0);
    await pool.close();
  });

  it('a big job whose worker crashed is sent again with the same bytes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'forkpool-big-'));
    try {
      const pool = track(new Pool({ worker: fixture('big-payload.mjs'), workers: 1, maxRetries: 1, env: { ...process.env, BIG_PAYLOAD_CRASH_MARK: join(dir, 'crashed') } }));
      const job = bigBuffer(MIB);
      job[0] = 0xcc;
      // Other big jobs queued behind it reuse released snapshots meanwhile.
      const others = Array.from({ length: 6 }, (_, i) => Buffer.alloc(MIB, i));
      const [result, ...rest] = await Promise.all([pool.run(job), ...others.map((other) => pool.run(other))]);
      expect(Buffer.compare(result as Buffer, job)).toBe(0);
      for (const [i, value] of rest.entries()) expect(Buffer.compare(value as Buffer, others[i] as Buffer)).toBe(0);
      expect(pool.stats().retried).toBe(1);
      await pool.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

