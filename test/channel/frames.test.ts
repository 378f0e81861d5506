import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader, FrameWriter } from '../../dist/channel/frames.js';
import { encodeValue } from '../../dist/channel/codec.js';
import { HEADER_SIZE, Kind } from '../../dist/channel/messages.js';

interface Frame {
  kind: number;
  id: number;
  payload: Buffer;
}

function frameBytes({ kind, id, payload }: Frame): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32LE(HEADER_SIZE - 4 + payload.length, 0);
  header[4] = kind;
  header.writeUInt32LE(id, 5);
  return Buffer.concat([header, payload]);
}

function collect(): { frames: Frame[]; reader: FrameReader } {
  const frames: Frame[] = [];
  // Copies: a payload may be a view into a chunk the reader reuses.
  const reader = new FrameReader((kind, id, payload) => frames.push({ kind, id, payload: Buffer.from(payload) }));
  return { frames, reader };
}

const frameArb = fc.record({
  kind: fc.constantFrom(Kind.JOB, Kind.RESULT, Kind.RELEASE),
  id: fc.nat({ max: 0xffffffff }),
  payload: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
});

/** A socket stand-in that records what the writer writes. */
function fakeSocket() {
  const written: Buffer[] = [];
  return {
    written,
    destroyed: false,
    writable: true,
    write(chunk: Buffer) {
      written.push(Buffer.from(chunk));
      return true;
    },
    cork() {},
    uncork() {},
  };
}

describe('FrameReader', () => {
  it('cuts a stream split at every byte boundary into the same frames', () => {
    const sent: Frame[] = [
      { kind: Kind.JOB, id: 1, payload: encodeValue({ a: 1, b: 2 }) },
      { kind: Kind.RESULT, id: 0xfffffff0, payload: Buffer.alloc(0) },
      { kind: Kind.JOB, id: 3, payload: encodeValue(new Map([[1, 'x']])) },
    ];
    const stream = Buffer.concat(sent.map(frameBytes));
    for (let cut = 0; cut <= stream.length; cut++) {
      for (let cut2 = cut; cut2 <= stream.length; cut2 += 7) {
        const { frames, reader } = collect();
        reader.push(stream.subarray(0, cut));
        reader.push(stream.subarray(cut, cut2));
        reader.push(stream.subarray(cut2));
        expect(frames).toEqual(sent);
        expect(reader.buffered).toBe(0);
      }
    }
  });

  it('cuts any frame sequence fed in arbitrary chunks', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 }), (sent, cuts) => {
        const stream = Buffer.concat(sent.map(frameBytes));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const { frames, reader } = collect();
        let from = 0;
        for (const point of [...points, stream.length]) {
          reader.push(stream.subarray(from, point));
          from = point;
        }
        expect(frames).toEqual(sent);
      }),
      { numRuns: 300 },
    );
  });

  it('carries multi-megabyte frames fed in 64 KiB chunks, intact', () => {
    const big = Buffer.alloc(12 * 1024 * 1024);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    const stream = Buffer.concat([frameBytes({ kind: Kind.JOB, id: 7, payload: big }), frameBytes({ kind: Kind.JOB, id: 8, payload: Buffer.from('x') })]);
    const { frames, reader } = collect();
    for (let i = 0; i < stream.length; i += 65536) reader.push(stream.subarray(i, i + 65536));
    expect(frames).toHaveLength(2);
    expect(frames[0]?.payload.equals(big)).toBe(true);
    expect(frames[1]?.payload.toString()).toBe('x');
  });

  it('throws on a garbage length, too short or too long', () => {
    const tooShort = Buffer.alloc(HEADER_SIZE);
    tooShort.writeUInt32LE(1, 0);
    expect(() => collect().reader.push(tooShort)).toThrow(/invalid frame length/);
    const tooLong = Buffer.alloc(HEADER_SIZE);
    tooLong.writeUInt32LE(0xffffffff, 0);
    expect(() => collect().reader.push(tooLong)).toThrow(/invalid frame length/);
    const limited = new FrameReader(() => undefined, 1024);
    const overLimit = Buffer.alloc(HEADER_SIZE);
    overLimit.writeUInt32LE(4096, 0);
    expect(() => limited.push(overLimit)).toThrow(/invalid frame length/);
  });

});

describe('FrameWriter', () => {
  it('batches the frames of one tick into one write that reads back as the same frames', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 40 }), async (sent) => {
        const socket = fakeSocket();
        const writer = new FrameWriter(socket as never);
        for (const f of sent) writer.send(f.kind as never, f.id, f.payload);
        expect(socket.written).toHaveLength(0);
        await Promise.resolve();
        expect(socket.written).toHaveLength(1);
        const { frames, reader } = collect();
        for (const chunk of socket.written) reader.push(chunk);
        expect(frames).toEqual(sent);
      }),
      { numRuns: 100 },
    );
  });

  it('writes large payloads without losing or reordering them', async () => {
    const socket = fakeSocket();
    const writer = new FrameWriter(socket as never);
    const sent = [
      { kind: Kind.JOB, id: 1, payload: Buffer.alloc(3 * 1024 * 1024, 1) },
      { kind: Kind.JOB, id: 2, payload: Buffer.from('small') },
      { kind: Kind.JOB, id: 3, payload: Buffer.alloc(100 * 1024, 3) },
    ];
    for (const f of sent) writer.send(f.kind, f.id, f.payload);
    writer.flush();
    const { frames, reader } = collect();
    for (const chunk of socket.written) reader.push(chunk);
    // Compared with Buffer#equals: a deep equality walk over megabytes is needlessly slow.
    expect(frames.map((f) => [f.kind, f.id])).toEqual(sent.map((f) => [f.kind, f.id]));
    for (const [i, f] of frames.entries()) expect(f.payload.equals(sent[i]?.payload ?? Buffer.alloc(0)), `frame ${i}`).toBe(true);
  });

  it('drops frames after close', async () => {
    const socket = fakeSocket();
    const writer = new FrameWriter(socket as never);
    writer.send(Kind.JOB, 1, Buffer.from('a'));
    writer.close();
    writer.send(Kind.JOB, 2, Buffer.from('b'));
    writer.flush();
    await Promise.resolve();
    expect(socket.written).toHaveLength(0);
  });
});
