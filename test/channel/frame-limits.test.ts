import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader } from '../../dist/channel/frames.js';
import { childKindLimit, frameLimit, parentKindLimit, SMALL_FRAME } from '../../dist/channel/limits.js';
import { HEADER_SIZE, Kind } from '../../dist/channel/messages.js';

const MIB = 1024 * 1024;

function frame(kind: number, id: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32LE(HEADER_SIZE - 4 + payload.length, 0);
  header[4] = kind;
  header.writeUInt32LE(id, 5);
  return Buffer.concat([header, payload]);
}

/** A reader as the parent uses it for a child's channel, with `maxMessageSize` 1 MiB. */
function parentReader(maxMessageSize = MIB) {
  const frames: Array<{ kind: number; id: number; payload: Buffer }> = [];
  const reader = new FrameReader((kind, id, payload) => frames.push({ kind, id, payload }), frameLimit(maxMessageSize), childKindLimit);
  return { frames, reader };
}

const RESULT = frame(Kind.RESULT, 1, Buffer.from([1, 0x31]));

describe('FrameReader: garbage is refused at its header', () => {
  it('"junk" (exactly 4 bytes) followed by the real answer: refused when the fifth byte comes, not waited on', () => {
    const { frames, reader } = parentReader(2 ** 31 - 1);
    // 'junk' reads as a 1.8 GB length, under the default limit: only the kind byte can tell.
    reader.push(Buffer.from('junk'));
    expect(reader.buffered).toBe(4);
    expect(() => reader.push(RESULT)).toThrow(FrameError);
    expect(frames).toEqual([]);
    expect(reader.buffered).toBe(0);
  });

  it('"junk" with a 1 MiB limit: refused by its length at once', () => {
    const { reader } = parentReader();
    expect(() => reader.push(Buffer.from('junk'))).toThrow(/invalid frame length/);
  });

  it('"abcd\\x1b[0m" (a colour code): its kind byte is RSS, whose frames are tiny, so the 1.7 GB length is refused', () => {
    const { reader } = parentReader(2 ** 31 - 1);
    expect(() => reader.push(Buffer.from('abcd\x1b[0m'))).toThrow(/invalid frame length \d+ for kind 27/);
  });

  it('byte by byte: the length is judged at the 4th byte, the kind at the 5th', () => {
    const overLimit = Buffer.alloc(HEADER_SIZE);
    overLimit.writeUInt32LE(MIB * 2, 0);
    overLimit[4] = Kind.RESULT;
    const a = parentReader();
    for (let i = 0; i < 3; i++) a.reader.push(overLimit.subarray(i, i + 1));
    expect(() => a.reader.push(overLimit.subarray(3, 4))).toThrow(/invalid frame length/);

    const badKind = Buffer.alloc(HEADER_SIZE);
    badKind.writeUInt32LE(HEADER_SIZE - 4, 0);
    badKind[4] = Kind.JOB; // a parent->child kind: never sent by a child
    const b = parentReader();
    for (let i = 0; i < 4; i++) b.reader.push(badKind.subarray(i, i + 1));
    expect(() => b.reader.push(badKind.subarray(4, 5))).toThrow(/invalid frame kind 2/);
  });

  it('a frame longer than the limit is refused at its header, before any of it is buffered', () => {
    const { reader } = parentReader();
    const header = Buffer.alloc(HEADER_SIZE);
    header.writeUInt32LE(1.5 * 1024 * MIB, 0);
    header[4] = Kind.RESULT;
    expect(() => reader.push(header)).toThrow(FrameError);
    expect(reader.buffered).toBe(0);
  });

  it('a message of exactly maxMessageSize bytes passes; one byte more is refused', () => {
    const ok = parentReader(4096);
    ok.reader.push(frame(Kind.RESULT, 1, Buffer.alloc(4096)));
    expect(ok.frames).toHaveLength(1);
    const over = parentReader(4096);
    expect(() => over.reader.push(frame(Kind.RESULT, 1, Buffer.alloc(4097)))).toThrow(FrameError);
  });

  it('lengths below the header are refused', () => {
    for (let length = 0; length < HEADER_SIZE - 4; length++) {
      const bytes = Buffer.alloc(HEADER_SIZE);
      bytes.writeUInt32LE(length, 0);
      expect(() => parentReader().reader.push(bytes)).toThrow(/invalid frame length/);
    }
  });

  it('small kinds (READY, RELEASED, RSS) are refused when they claim more than a few bytes', () => {
    for (const kind of [Kind.READY, Kind.RELEASED, Kind.RSS]) {
      expect(() => parentReader().reader.push(frame(kind, 0, Buffer.alloc(SMALL_FRAME)))).toThrow(FrameError);
      const ok = parentReader();
      ok.reader.push(frame(kind, 0, Buffer.from([1, 0x31, 0x32])));
      expect(ok.frames).toHaveLength(1);
    }
  });

  it('kinds from the other direction are refused on each side', () => {
    expect(childKindLimit(Kind.JOB)).toBe(false);
    expect(parentKindLimit(Kind.RESULT)).toBe(false);
    expect(childKindLimit(0)).toBe(false);
    expect(childKindLimit(255)).toBe(false);
  });

  it('once broken, stays broken: later pushes throw too', () => {
    const { reader, frames } = parentReader();
    expect(() => reader.push(Buffer.from('garbage!!'))).toThrow(FrameError);
    expect(() => reader.push(RESULT)).toThrow(FrameError);
    expect(frames).toEqual([]);
  });

  it('a handler that throws leaves the reader able to read the next frames', () => {
    let calls = 0;
    const reader = new FrameReader(() => {
      calls++;
      if (calls === 1) throw new Error('handler bug');
    });
    const two = Buffer.concat([RESULT, RESULT]);
    expect(() => reader.push(two)).toThrow('handler bug');
    reader.push(RESULT);
    expect(calls).toBe(3);
    expect(reader.buffered).toBe(0);
  });
});

describe('FrameReader: memory', () => {
  it('never holds more than one frame of at most the limit', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 4096 }), fc.array(fc.integer({ min: 1, max: 97 }), { maxLength: 50 }), (bytes, cuts) => {
        const limit = 1024;
        const { reader } = parentReader(limit - HEADER_SIZE);
        let at = 0;
        try {
          for (const cut of [...cuts, bytes.length]) {
            reader.push(Buffer.from(bytes.subarray(at, at + cut)));
            at += cut;
            expect(reader.buffered).toBeLessThanOrEqual(limit + 97);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(FrameError);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a big frame spanning reads is assembled in memory of exactly its size: the next frame is not behind it', () => {
    const secret = Buffer.from('SECRET-OF-ANOTHER-JOB');
    const big = Buffer.alloc(200_000, 7);
    const stream = Buffer.concat([frame(Kind.RESULT, 1, big), frame(Kind.RESULT, 2, secret)]);
    const { reader, frames } = parentReader();
    for (let i = 0; i < stream.length; i += 65536) reader.push(stream.subarray(i, i + 65536));
    expect(frames).toHaveLength(2);
    const payload = (frames[0] as { payload: Buffer }).payload;
    expect(payload.buffer.byteLength).toBe(HEADER_SIZE + big.length);
    expect(Buffer.from(payload.buffer).includes(secret)).toBe(false);
  });
});
