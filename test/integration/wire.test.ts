import { describe, expect, it } from 'vitest';
import { MessageTooLargeError, Pool, UnserializableError } from '../../dist/index.js';
import { fixture, track } from '../helpers.js';

describe('wire format', () => {
  it('carries structured-clone values both ways', async () => {
    const pool = track(new Pool({ worker: fixture('values.mjs'), workers: 1 }));
    const made = await pool.run('make');
    expect(made.map).toEqual(new Map<unknown, unknown>([[1, 'one'], ['two', { n: 2 }]]));
    expect(made.set).toEqual(new Set([1, 'a']));
    expect(made.date).toEqual(new Date(0));
    expect(made.big).toBe(2n ** 70n);
    expect(made.u8).toEqual(new Uint8Array([1, 2, 3]));
    expect(Object.is(made.f64[1], -0)).toBe(true);
    expect(Buffer.isBuffer(made.buf)).toBe(true);
    expect(made.buf.toString()).toBe('hello');
    expect(made.cyclic.self).toBe(made.cyclic);
    expect('undef' in made && made.undef === undefined).toBe(true);
    expect(made.nan).toBeNaN();
    expect(Object.is(made.negZero, -0)).toBe(true);
    expect(made.regexp).toEqual(/a+b/gi);
    const sent = { m: new Map([['k', new Set([1n])]]), d: new Date(42), text: 'a\0b\n\u2028\uD800', nested: [[[]]] };
    expect(await pool.run(sent)).toEqual(sent);
    for (const falsy of [undefined, null, 0, '', false]) expect(await pool.run(falsy)).toBe(falsy);
  });

  it('has no delimiter restrictions: any bytes may appear in the data', async () => {
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 1 }));
    const bytes = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) bytes[i] = i;
    const text = '\0\0\0 delimiter \0\0\0';
    expect(await pool.run({ bytes, text })).toEqual({ bytes, text });
  });

  it('rejects an unserializable job with ERR_UNSERIALIZABLE without sending it', async () => {
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 1 }));
    const error = await pool.run({ fn: () => 1 } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnserializableError);
    expect((error as UnserializableError).code).toBe('ERR_UNSERIALIZABLE');
    expect(await pool.run('still fine')).toBe('still fine');
  });

  it('rejects an unserializable result with ERR_UNSERIALIZABLE; the worker lives on', async () => {
    const pool = track(new Pool({ worker: fixture('values.mjs'), workers: 1 }));
    await expect(pool.run('function')).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    await expect(pool.run('symbol')).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    expect(pool.stats().crashed).toBe(0);
    expect(await pool.run(7)).toBe(7);
  });

  it('enforces maxMessageSize on jobs and results with ERR_MESSAGE_TOO_LARGE', async () => {
    const pool = track(new Pool({ worker: fixture('values.mjs'), workers: 1, maxMessageSize: 64 * 1024 }));
    const big = await pool.run('x'.repeat(100 * 1024)).catch((e: unknown) => e);
    expect(big).toBeInstanceOf(MessageTooLargeError);
    expect(big).toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE', limit: 64 * 1024 });
    await expect(pool.run({ size: 100 * 1024 })).rejects.toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE' });
    expect((await pool.run({ size: 1024 })).length).toBe(1024);
  });

  it('many small jobs and results under a small maxMessageSize: runs split at the limit, every value intact', async () => {
    // Results travel many to a frame (RESULTS), each frame at most maxMessageSize: 2 KiB here, so
    // 2,000 answers need many runs, some values nearly the limit alone; a frame over it would be
    // refused at its header and the worker stopped.
    const pool = track(new Pool({ worker: fixture('values.mjs'), workers: 2, maxMessageSize: 2048 }));
    const exits: string[] = [];
    pool.on('workerExit', (event) => exits.push(event.reason));
    const jobs = Array.from({ length: 2000 }, (_, i) => ({ i, text: 'é'.repeat(i % 7 === 0 ? 300 : i % 40) }));
    const results = await Promise.all(jobs.map((job) => pool.run(job)));
    expect(results).toEqual(jobs);
    expect(exits).toEqual([]);
    // One value that cannot fit any frame still gets its coded error, and the pool serves on.
    await expect(pool.run({ size: 4096 })).rejects.toMatchObject({ code: 'ERR_MESSAGE_TOO_LARGE' });
    expect(await pool.run({ i: -1 })).toEqual({ i: -1 });
  });

  it('moves 31 KB and 8 MB payloads both ways intact', async () => {
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 2 }));
    for (const size of [31 * 1024, 8 * 1024 * 1024]) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i += 4096) data[i] = i & 0xff;
      const text = 'z'.repeat(size);
      const back = await pool.run({ data, text });
      expect(back.data.equals(data)).toBe(true);
      expect(back.text).toBe(text);
    }
  });
});
