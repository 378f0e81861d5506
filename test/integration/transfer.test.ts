// `run(job, { transfer: [job.buffer] })`: a binary job's memory handed over instead of copied.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool } from '../../dist/index.js';
import { fixture, track } from '../helpers.js';

const WORKER = fixture('transfer-worker.mjs');
const dir = mkdtempSync(join(tmpdir(), 'forkpool-transfer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pattern(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31) & 0xff;
  return bytes;
}

describe('transfer', () => {
  it('hands a Buffer or Uint8Array job over: the caller is detached, the worker gets the same bytes and type', async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 2 }));
    const expected = pattern(1 << 20);
    const job = Buffer.from(expected);
    const back = await pool.run(job, { transfer: [job.buffer as ArrayBuffer] });
    expect(job.length).toBe(0);
    expect(job.buffer.byteLength).toBe(0);
    expect(Buffer.isBuffer(back)).toBe(true);
    expect(Buffer.compare(back as Buffer, expected)).toBe(0);
    const plain = new Uint8Array([5, 6, 7]);
    await expect(pool.run(plain, { transfer: [plain.buffer], name: 'describe' })).resolves.toEqual({ kind: 'Uint8Array', length: 3, first: 5, last: 7 });
    expect(plain.length).toBe(0);
  });

  it('sends only the view of a bigger ArrayBuffer, and a named task gets it too', async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 1 }));
    const whole = pattern(64 * 1024);
    const view = whole.subarray(100, 1100);
    const expected = Buffer.from(view);
    await expect(pool.run(view, { transfer: [view.buffer as ArrayBuffer], name: 'describe' })).resolves.toEqual({ kind: 'Buffer', length: 1000, first: expected[0], last: expected[999] });
    expect(whole.length).toBe(0);
  });

  it("copies a small Buffer from Node's shared pool (which cannot be detached): its bytes arrive and the caller keeps them", async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 1 }));
    const small = Buffer.from('hello');
    const back = await pool.run(small, { transfer: [small.buffer as ArrayBuffer] });
    expect((back as Buffer).toString()).toBe('hello');
    expect(small.toString()).toBe('hello');
  });

  it('refuses what it cannot take with ERR_INVALID_OPTION (or ERR_MESSAGE_TOO_LARGE), leaving the caller its bytes', async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 1, maxMessageSize: 1 << 20 }));
    const job = pattern(4096);
    const other = new ArrayBuffer(16);
    for (const [input, transfer] of [
      [job, 'buffer'],
      [job, [job.buffer, other]],
      [job, [other]],
      [job, [new SharedArrayBuffer(16)]],
      [{ data: job }, [job.buffer]],
      [new Float64Array(4), [new Float64Array(4).buffer]],
    ] as const) {
      await expect(pool.run(input, { transfer: transfer as never })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'transfer' });
      expect(job.length).toBe(4096);
    }
    const big = pattern((1 << 20) + 1);
    await expect(pool.run(big, { transfer: [big.buffer as ArrayBuffer] })).rejects.toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE' });
    expect(big.length).toBe((1 << 20) + 1);
    // Already handed over once: its buffer is detached.
    const once = pattern(8192);
    await pool.run(once, { transfer: [once.buffer as ArrayBuffer] });
    await expect(pool.run(once, { transfer: [once.buffer as ArrayBuffer] })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', option: 'transfer' });
    expect(pool.stats().submitted).toBe(1);
  });

  it('a crash retry sends the same bytes again from the memory the pool took', async () => {
    const marker = join(dir, 'crashed');
    const pool = track(new Pool({ worker: WORKER, workers: 1, maxRetries: 1, initData: { marker } }));
    const expected = pattern(256 * 1024);
    const job = Buffer.from(expected);
    const back = await pool.run(job, { transfer: [job.buffer as ArrayBuffer] });
    expect(Buffer.compare(back as Buffer, expected)).toBe(0);
    expect(pool.stats()).toMatchObject({ retried: 1, completed: 1 });
  });

  it('200 transferred 1 MiB jobs at once, some cancelled while queued: every one settles once, the rest intact', async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 2 }));
    const controller = new AbortController();
    const jobs = Array.from({ length: 200 }, (_, i) => Buffer.alloc(1 << 20, i & 0xff));
    const runs = jobs.map((job, i) => pool.run(job, { transfer: [job.buffer as ArrayBuffer], ...(i % 10 === 9 ? { signal: controller.signal } : {}) }));
    controller.abort();
    const settled = await Promise.allSettled(runs);
    for (const [i, outcome] of settled.entries()) {
      if (i % 10 === 9 && outcome.status === 'rejected') {
        expect(outcome.reason).toMatchObject({ code: 'ABORT_ERR' });
        continue;
      }
      expect(outcome.status, `job ${i}`).toBe('fulfilled');
      const value = (outcome as PromiseFulfilledResult<unknown>).value as Buffer;
      expect(value.length).toBe(1 << 20);
      expect(value[0] === (i & 0xff) && value[value.length - 1] === (i & 0xff), `job ${i}`).toBe(true);
    }
    expect(pool.stats()).toMatchObject({ submitted: 200 });
  });
});
