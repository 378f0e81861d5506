import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameReader, FrameWriter } from '../../dist/channel/frames.js';
import { decodeRun, MAX_RUN, MAX_RUN_BYTES, runIdAt } from '../../dist/channel/json-run.js';
import { childKindLimit, frameLimit } from '../../dist/channel/limits.js';
import { HEADER_SIZE, Kind } from '../../dist/channel/messages.js';

/** What the writer queued, as a reader on the parent's side sees it: runs opened into (id, value) pairs. */
type Seen = { run: true; bytes: number; answers: Array<[number, unknown]> } | { run: false; kind: number; id: number; payload: string };

function writerAndSocket() {
  const written: Buffer[] = [];
  const socket = { destroyed: false, writable: true, writableLength: 0, write: (chunk: Buffer) => written.push(Buffer.from(chunk)) > 0, cork() {}, uncork() {} };
  return { writer: new FrameWriter(socket as never), written };
}

function read(written: Buffer[], maxMessageSize = 64 * 1024 * 1024): Seen[] {
  const seen: Seen[] = [];
  const reader = new FrameReader(
    (kind, id, payload) => {
      if (kind !== Kind.RESULTS) {
        seen.push({ run: false, kind, id, payload: payload.toString() });
        return;
      }
      const values = decodeRun(payload, id);
      seen.push({ run: true, bytes: payload.length, answers: values.map((value, i) => [runIdAt(payload, id, i), value]) });
    },
    frameLimit(maxMessageSize),
    childKindLimit,
  );
  for (const chunk of written) reader.push(chunk);
  return seen;
}

/** In order: an answer (id, value), or an ordinary frame. */
type Expected = [number, unknown] | { kind: number; id: number; payload: string };

const jsonValue = fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);

/** A writer's calls: a value for a run, or an ordinary frame between them. */
const step = fc.oneof(
  fc.record({ op: fc.constant('run' as const), id: fc.nat({ max: 0xffffffff }), value: jsonValue }),
  fc.record({ op: fc.constant('frame' as const), id: fc.nat({ max: 0xffffffff }), text: fc.string({ maxLength: 40 }) }),
  fc.constant({ op: 'flush' as const }),
);

describe('run frames (many small results in one frame)', () => {
  it('carry every value and id, in order, around ordinary frames and flushes, under any byte limit', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), fc.integer({ min: 16, max: 4096 }), (steps, limit) => {
        const { writer, written } = writerAndSocket();
        const expected: Expected[] = [];
        for (const s of steps) {
          if (s.op === 'flush') writer.flush();
          else if (s.op === 'frame') {
            writer.send(Kind.BUSY, s.id, Buffer.from(s.text));
            expected.push({ kind: Kind.BUSY, id: s.id, payload: Buffer.from(s.text).toString() });
          } else {
            const text = JSON.stringify(s.value);
            // What does not fit a run goes as a frame of its own, as the worker does it.
            if (!writer.sendInRun(Kind.RESULTS, s.id, text, limit)) writer.sendText(Kind.RESULT, s.id, 1, text);
            expected.push([s.id, s.value]);
          }
        }
        writer.flush();
        const seen = read(written);
        const flat = seen.flatMap<Expected>((f) => (f.run ? f.answers : f.kind === Kind.RESULT ? [[f.id, JSON.parse(f.payload.slice(1))]] : [{ kind: f.kind, id: f.id, payload: f.payload }]));
        expect(flat).toEqual(expected);
        // No run frame is longer than the limit it was written under.
        for (const f of seen) {
          if (!f.run) continue;
          expect(f.bytes).toBeLessThanOrEqual(limit);
          expect(f.answers.length).toBeLessThanOrEqual(MAX_RUN);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never pass the byte limit they are given (the parent refuses longer ones at the header)', () => {
    const { writer, written } = writerAndSocket();
    const limit = 1000;
    for (let i = 0; i < 500; i++) expect(writer.sendInRun(Kind.RESULTS, i, JSON.stringify({ i, text: 'é'.repeat(i % 50) }), limit)).toBe(true);
    writer.flush();
    const sizes: number[] = [];
    const reader = new FrameReader((kind, id, payload) => {
      expect(kind).toBe(Kind.RESULTS);
      sizes.push(payload.length);
      expect(decodeRun(payload, id)).toHaveLength(id);
    });
    for (const chunk of written) reader.push(chunk);
    expect(sizes.length).toBeGreaterThan(1);
    for (const size of sizes) expect(size).toBeLessThanOrEqual(limit);
  });

  it('start a new run after MAX_RUN values', () => {
    const { writer, written } = writerAndSocket();
    for (let i = 0; i < MAX_RUN * 2 + 1; i++) writer.sendInRun(Kind.RESULTS, i, '1', MAX_RUN_BYTES);
    writer.flush();
    const runs = read(written).map((f) => (f.run ? f.answers.length : -1));
    expect(runs).toEqual([MAX_RUN, MAX_RUN, 1]);
  });

  it('refuse a text that cannot fit the limit alone (it goes as a frame of its own)', () => {
    const { writer, written } = writerAndSocket();
    expect(writer.sendInRun(Kind.RESULTS, 1, 'x'.repeat(100), 50)).toBe(false);
    writer.flush();
    expect(written).toHaveLength(0);
  });

  it('the parent refuses a run frame longer than MAX_RUN_BYTES at its header', () => {
    const header = Buffer.alloc(HEADER_SIZE);
    header.writeUInt32LE(HEADER_SIZE - 4 + MAX_RUN_BYTES + 1, 0);
    header[4] = Kind.RESULTS;
    header.writeUInt32LE(1, 5);
    const reader = new FrameReader(() => undefined, frameLimit(1024 * 1024 * 1024), childKindLimit);
    expect(() => reader.push(header)).toThrow(/invalid frame length/);
  });

  it.each([
    ['a count of 0', '[]', 0, []],
    ['more values than the count', '[1,2]', 1, [7]],
    ['fewer values than the count', '[1]', 2, [7, 8]],
    ['not an array', '{"0":1}', 1, [7]],
    ['text that is not JSON', '[1,', 1, [7]],
    ['ids cut short', '[1,2]', 2, [7]],
    ['a count beyond MAX_RUN', '[1]', MAX_RUN + 1, [7]],
  ])('decoding refuses %s with ERR_PROTOCOL', (_label, text, count, ids) => {
    const idBytes = Buffer.alloc(ids.length * 4);
    for (const [i, id] of ids.entries()) idBytes.writeUInt32LE(id, i * 4);
    const payload = Buffer.concat([Buffer.from(text), idBytes]);
    expect(() => decodeRun(payload, count)).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL' }));
  });
});
