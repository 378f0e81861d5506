import { randomFillSync } from 'node:crypto';
import { readdirSync, readlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BigPayloads } from '../../dist/channel/big-payloads.js';
import { TAG_FILE } from '../../dist/channel/codec.js';
import {
  closeRingFile,
  createRingFile,
  isRingReference,
  RING_CAPACITY,
  RING_CHILD_FD,
  RING_MAX_PAYLOAD,
  RING_MIN_PAYLOAD,
  RingReader,
  RingWriter,
} from '../../dist/channel/shared-ring.js';
import { readSideFile, sideChannelDirectory } from '../../dist/channel/side-channel.js';
import { Pool } from '../../dist/index.js';
import { fixture, track } from '../helpers.js';

const MIB = 1024 * 1024;
const dir = sideChannelDirectory() as string;

function bytes(size: number): Buffer {
  return randomFillSync(Buffer.allocUnsafe(size));
}

/** This process's fds that point at a shared ring file (they are unlinked, so "(deleted)"). */
function ringFds(pid: number | 'self' = 'self'): string[] {
  const base = `/proc/${pid}/fd`;
  return readdirSync(base).filter((fd) => {
    try {
      return readlinkSync(`${base}/${fd}`).includes('forkpool-ring-');
    } catch {
      return false; // closed while listing (readdir's own fd)
    }
  });
}

function withRing<T>(use: (fd: number) => T): T {
  const fd = createRingFile(dir);
  if (fd === undefined) throw new Error('could not create a ring file');
  try {
    return use(fd);
  } finally {
    closeRingFile(fd);
  }
}

describe('shared ring: placement', () => {
  it('creates its file already unlinked: nothing is left in the directory', () => {
    withRing(() => {
      expect(readdirSync(dir).filter((name) => name.startsWith(`forkpool-ring-${process.pid}-`))).toEqual([]);
      expect(ringFds()).toHaveLength(1);
    });
    expect(ringFds()).toHaveLength(0);
  });

  it('takes payloads between its bounds only', () => {
    expect(RingWriter.wants(RING_MIN_PAYLOAD - 1)).toBe(false);
    expect(RingWriter.wants(RING_MIN_PAYLOAD)).toBe(true);
    expect(RingWriter.wants(RING_MAX_PAYLOAD)).toBe(true);
    expect(RingWriter.wants(RING_MAX_PAYLOAD + 1)).toBe(false);
  });

  it('round-trips parts written one after the other, in each half', () =>
    withRing((fd) => {
      for (const side of ['parent', 'child'] as const) {
        const writer = new RingWriter(fd, side);
        const reader = new RingReader(fd, side);
        const head = Buffer.from([3, 0]);
        const body = bytes(300_000);
        const ref = writer.write([head, body], head.length + body.length) as Buffer;
        expect(isRingReference(ref)).toBe(true);
        expect(reader.read(ref).equals(Buffer.concat([head, body]))).toBe(true);
      }
    }));

  it('keeps the two halves apart', () =>
    withRing((fd) => {
      const fromParent = new RingWriter(fd, 'parent').write([Buffer.alloc(100_000, 1)], 100_000) as Buffer;
      const fromChild = new RingWriter(fd, 'child').write([Buffer.alloc(100_000, 2)], 100_000) as Buffer;
      expect(new RingReader(fd, 'parent').read(fromParent).equals(Buffer.alloc(100_000, 1))).toBe(true);
      expect(new RingReader(fd, 'child').read(fromChild).equals(Buffer.alloc(100_000, 2))).toBe(true);
    }));

  it('refuses a payload that does not fit until the oldest is released, then wraps to the start', () =>
    withRing((fd) => {
      const writer = new RingWriter(fd, 'parent');
      const reader = new RingReader(fd, 'parent');
      const third = Math.floor(RING_CAPACITY / 3);
      const payloads = [bytes(third), bytes(third), bytes(third)];
      const refs = payloads.map((p) => writer.write([p], p.length) as Buffer);
      expect(refs.every((ref) => ref !== undefined)).toBe(true);
      const next = bytes(third);
      expect(writer.write([next], next.length)).toBeUndefined();
      expect(writer.unread).toBe(3);
      // The reader read the oldest: its space, at the start of the ring, is free again.
      expect(reader.read(refs[0] as Buffer).equals(payloads[0] as Buffer)).toBe(true);
      writer.release(1);
      const wrapped = writer.write([next], next.length) as Buffer;
      expect(wrapped.readUIntLE(1, 6)).toBe(0);
      expect(reader.read(wrapped).equals(next)).toBe(true);
      // Still unread: the two after the first, intact after the wrap.
      expect(reader.read(refs[1] as Buffer).equals(payloads[1] as Buffer)).toBe(true);
      expect(reader.read(refs[2] as Buffer).equals(payloads[2] as Buffer)).toBe(true);
      writer.release(3);
      expect(writer.unread).toBe(0);
    }));

  it('rejects a reference outside the ring', () =>
    withRing((fd) => {
      const ref = Buffer.alloc(13);
      ref[0] = 5;
      ref.writeUIntLE(RING_CAPACITY - 10, 1, 6);
      ref.writeUIntLE(100, 7, 6);
      expect(() => new RingReader(fd, 'parent').read(ref)).toThrow(/out of bounds/);
    }));
});

describe('shared ring: routing big payloads', () => {
  it('uses the ring while it has room, then one-off files; the reader reports each ring read', () =>
    withRing((fd) => {
      const reads: string[] = [];
      const parent = new BigPayloads({ ringFd: fd, side: 'parent', onRingRead: () => reads.push('parent'), removeFilesAtExit: false });
      const child = new BigPayloads({ ringFd: fd, side: 'child', onRingRead: () => reads.push('child'), removeFilesAtExit: false });
      const size = Math.floor(RING_MAX_PAYLOAD * 0.9);
      const payloads = [bytes(size), bytes(size), bytes(size)];
      const sent = payloads.map((p) => parent.wrap(p));
      expect(sent.map((ref) => (isRingReference(ref) ? 'ring' : ref[0] === TAG_FILE ? 'file' : 'inline'))).toEqual(
        size >= 1024 * 1024 ? ['ring', 'ring', 'file'] : ['ring', 'ring', 'inline'],
      );
      sent.forEach((ref, i) => expect(child.resolve(ref).equals(payloads[i] as Buffer)).toBe(true));
      expect(reads).toEqual(['child', 'child']);
      parent.ringRead(2);
      expect(isRingReference(parent.wrap(bytes(size)))).toBe(true);
      parent.discard();
    }));

  it('sends small payloads inline and leaves a ring reference unread without a ring', () => {
    const noRing = new BigPayloads({ ringFd: undefined, side: 'parent', onRingRead: () => undefined, removeFilesAtExit: false });
    const small = bytes(RING_MIN_PAYLOAD - 1);
    expect(noRing.wrap(small)).toBe(small);
    const ref = Buffer.alloc(13);
    ref[0] = 5;
    expect(noRing.resolve(ref)).toBe(ref);
  });

  it('a one-off file reference still resolves through BigPayloads', () => {
    const payloads = new BigPayloads({ ringFd: undefined, side: 'parent', onRingRead: () => undefined, removeFilesAtExit: false });
    const big = bytes(2 * MIB);
    const ref = payloads.wrap(big);
    expect(ref[0]).toBe(TAG_FILE);
    expect(payloads.resolve(ref).equals(big)).toBe(true);
    expect(() => readSideFile(ref)).toThrow(/gone/);
  });
});

describe('shared ring: through a real pool', () => {
  it('gives every worker its own ring (fd 4) and closes the parent’s copy when the worker exits', async () => {
    const before = ringFds().length;
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 2 }));
    await Promise.all([pool.run(1), pool.run(2)]);
    expect(ringFds().length).toBe(before + 2);
    for (const pid of pool.pids) expect(ringFds(pid)).toEqual([String(RING_CHILD_FD)]);
    await pool.close();
    expect(ringFds().length).toBe(before);
  });

  it('round-trips payloads of every ring size many at a time, with no file written', async () => {
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 2 }));
    const sizes = [RING_MIN_PAYLOAD, 100_000, 512 * 1024, MIB - 2, RING_MAX_PAYLOAD - 2];
    const values = Array.from({ length: 40 }, (_, i) => {
      const size = sizes[i % sizes.length] as number;
      return i % 2 === 0 ? bytes(size) : new Uint8Array(bytes(size));
    });
    const leftovers = () => readdirSync(dir).filter((name) => /^forkpool-\d+-/.test(name) && pool.pids.some((pid) => name.startsWith(`forkpool-${pid}-`)));
    const results = await Promise.all(values.map((value) => pool.run(value)));
    results.forEach((result, i) => {
      const value = values[i] as Uint8Array;
      expect(Buffer.isBuffer(result)).toBe(Buffer.isBuffer(value));
      expect(Buffer.from(result as Uint8Array).equals(Buffer.from(value))).toBe(true);
    });
    // A job written to the ring leaves nothing in the directory, even before it is sent.
    const pending = pool.run(bytes(MIB));
    expect(readdirSync(dir).filter((name) => name.startsWith(`forkpool-${process.pid}-`))).toEqual([]);
    expect(((await pending) as Buffer).length).toBe(MIB);
    expect(leftovers()).toEqual([]);
    await pool.close();
  });

  it('a big JSON text takes the ring too, and comes back equal', async () => {
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 1 }));
    const text = 'x'.repeat(300_000);
    const value = { text, list: Array.from({ length: 5000 }, (_, i) => i) };
    expect(await pool.run(value)).toEqual(value);
    await pool.close();
  });
});
