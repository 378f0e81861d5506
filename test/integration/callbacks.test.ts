import { describe, expect, it } from 'vitest';
import { Pool, type CallbackInfo } from '../../dist/index.js';
import { fixture, track } from '../helpers.js';

const worker = fixture('callback-worker.mjs');

function pool(options: Record<string, unknown> = {}) {
  return track(new Pool({ worker, workers: 1, ...options }));
}

describe('Pool callbacks', () => {
  it('round-trips numbers, no payload, undefined, falsy values and nested objects', async () => {
    const seen: unknown[][] = [];
    const p = pool({
      callbacks: {
        echo(payload: unknown, ...rest: unknown[]) {
          seen.push([payload, rest.length]);
          return payload;
        },
      },
    });
    const nested = { a: [1, { b: 'two', c: [null, false, 0, ''] }], d: new Map([[1, new Date(0)]]), e: undefined, big: 10n };
    const values = [42, undefined, null, 0, '', false, nested, -0, Number.NaN];
    for (const value of values) {
      const { value: back } = await p.run({ op: 'call', args: ['echo', value] });
      expect(back).toStrictEqual(value);
    }
    const noPayload = await p.run({ op: 'call', args: ['echo'] });
    expect(noPayload.value).toBeUndefined();
    expect(seen.at(-1)?.[0]).toBeUndefined();
    expect('value' in noPayload).toBe(true);
  });

  it('passes the caller pid and job id in info, and awaits async handlers', async () => {
    const infos: CallbackInfo[] = [];
    const p = pool({
      callbacks: {
        async who(_: unknown, info: CallbackInfo) {
          infos.push(info);
          await new Promise((resolve) => setTimeout(resolve, 20));
          return { pid: info.pid, jobId: info.jobId };
        },
      },
    });
    const result = await p.run({ op: 'call', args: ['who'] });
    expect(result.value).toEqual({ pid: result.pid, jobId: result.jobId });
    expect(infos).toHaveLength(1);
    expect(infos[0]?.pid).toBe(result.pid);
    expect(infos[0]?.jobId).toBe(result.jobId);
  });

  it('works with ctx taken apart: const { callback, jobId, workerId, signal } = ctx', async () => {
    const pool = track(new Pool({ worker, workers: 1, callbacks: { double: (n: number) => n * 2 } }));
    const result = (await pool.run({ op: 'destructured', n: 21 })) as Record<string, unknown>;
    expect(result).toEqual({ value: 42, jobId: expect.any(Number), workerId: 1, aborted: false });
    await pool.close();
  });

  it('answers many concurrent calls from one worker, each exactly once', async () => {
    let calls = 0;
    const p = pool({
      callbacks: {
        // Answers out of order: later calls answer first.
        double: (i: number) => {
          calls++;
          return new Promise((resolve) => setTimeout(() => resolve(i * 2), 50 - i / 10));
        },
      },
    });
    const n = 200;
    const results = await p.run({ op: 'many', n });
    expect(results).toEqual(Array.from({ length: n }, (_, i) => i * 2));
    expect(calls).toBe(n);
  });

  it('rejects the child call with ERR_CALLBACK_FAILED carrying message and parent stack', async () => {
    const p = pool({
      callbacks: {
        explode() {
          throw new TypeError('kaboom in the parent');
        },
        async reject() {
          throw new Error('async kaboom');
        },
      },
    });
    const sync = await p.run({ op: 'catch', args: ['explode', 1] });
    expect(sync.error.code).toBe('ERR_CALLBACK_FAILED');
    expect(sync.error.message).toContain('kaboom in the parent');
    expect(sync.error.message).toContain('"explode"');
    expect(sync.error.stack).toContain('kaboom in the parent');
    expect(sync.error.stack).toMatch(/callbacks\.test\.ts/);
    const async = await p.run({ op: 'catch', args: ['reject'] });
    expect(async.error.code).toBe('ERR_CALLBACK_FAILED');
    expect(async.error.message).toContain('async kaboom');
  });

  it('rejects an unknown name with ERR_CALLBACK_UNKNOWN listing the known names', async () => {
    const p = pool({ callbacks: { alpha: () => 1, beta: () => 2 } });
    const { error } = await p.run({ op: 'catch', args: ['gamma'] });
    expect(error.code).toBe('ERR_CALLBACK_UNKNOWN');
    expect(error.message).toContain('"gamma"');
    expect(error.message).toContain('"alpha", "beta"');
    // Inherited names are not callbacks.
    const inherited = await p.run({ op: 'catch', args: ['toString'] });
    expect(inherited.error.code).toBe('ERR_CALLBACK_UNKNOWN');
  });

  it('rejects a slow handler with ERR_CALLBACK_TIMEOUT after callbackTimeout', async () => {
    let release: (() => void) | undefined;
    const p = pool({
      callbackTimeout: 300,
      callbacks: { slow: () => new Promise<void>((resolve) => (release = resolve)) },
    });
    const started = Date.now();
    const { error } = await p.run({ op: 'catch', args: ['slow'] });
    expect(error.code).toBe('ERR_CALLBACK_TIMEOUT');
    expect(error.message).toContain('300 ms');
    expect(Date.now() - started).toBeLessThan(5000);
    release?.();
    // The worker is still usable afterwards.
    const again = await p.run({ op: 'catch', args: ['nope'] });
    expect(again.error.code).toBe('ERR_CALLBACK_UNKNOWN');
  });

  it('services callbacks during a graceful close', async () => {
    const seen: number[] = [];
    const p = pool({ callbacks: { late: (delay: number) => {
          seen.push(delay);
          return delay + 1;
        }, } });
    const running = p.run({ op: 'late', delay: 300 });
    // Let the job start before closing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closed = p.close();
    await expect(running).resolves.toBe(301);
    await closed;
    expect(seen).toEqual([300]);
  });

  it('validates the callbacks option', () => {
    expect(() => new Pool({ worker, callbacks: { bad: 1 as never } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'callbacks' }));
  });
});
