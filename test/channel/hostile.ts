// Generators of hostile bytes for a child's channel to its parent, shared by the pool and the
// prefork fuzz tests: random bytes, truncated frames, headers with kinds no child sends, huge
// lengths, and well-formed frames whose payloads are garbage or poison.
import fc from 'fast-check';
import { decodeValue } from '../../dist/channel/codec.js';
import { HEADER_SIZE, Kind } from '../../dist/channel/messages.js';

/** Bytes, and where in them the job's id goes (the fixture writes it there). */
export interface Hostile {
  what: string;
  bytes: Buffer;
  idAt: number[];
  /**
   * A RESULT header aimed at the job: bytes that follow it (the real answer) may complete it into
   * a frame that decodes, and the job is then answered with whatever that is. A parent cannot tell.
   */
  mayAnswer: boolean;
}

export function frameBytes(kind: number, id: number, payload: Buffer, claim?: number): Buffer {
  const header = Buffer.alloc(HEADER_SIZE);
  header.writeUInt32LE(claim ?? HEADER_SIZE - 4 + payload.length, 0);
  header[4] = kind;
  header.writeUInt32LE(id, 5);
  return Buffer.concat([header, payload]);
}

const CHILD_KINDS = [Kind.READY, Kind.INIT_ERROR, Kind.RESULT, Kind.JOB_ERROR, Kind.RELEASED, Kind.CALLBACK, Kind.FINAL, Kind.RSS, Kind.RESULTS, Kind.BUSY, Kind.EXITING, Kind.PROGRESS];
const ANSWER_KINDS = [Kind.RESULT, Kind.JOB_ERROR, Kind.CALLBACK, Kind.INIT_ERROR, Kind.FINAL];

function undecodable(payload: Buffer): boolean {
  try {
    decodeValue(payload);
    return false;
  } catch {
    return true;
  }
}

/** Payloads that decode to nothing: a v8 tag before garbage, JSON that is not, unknown tags, nothing. */
const corruptPayload = fc
  .oneof(
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => Buffer.concat([Buffer.from([2]), Buffer.from(b)])),
    fc.constantFrom('{', '{"a":', '[1,', 'nul', '"open').map((s) => Buffer.from(`\x01${s}`)),
    fc.integer({ min: 4, max: 255 }).map((tag) => Buffer.from([tag, 1, 2, 3])),
    fc.constant(Buffer.alloc(0)),
    fc.constant(Buffer.from([2, 0xff, 0x0f])),
  )
  .filter(undecodable);

/**
 * RESULTS frames (several answers in one, see channel/json-run.ts) whose run is broken: counts
 * that do not match the values or the ids, text that is not a JSON array. The job's id sits in
 * the id list, so a run that did decode would answer it.
 */
const brokenRun = fc
  .tuple(fc.constantFrom('[1]', '[1,2]', '{"0":1}', '[1,', '', '["a"'), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 }))
  .filter(([text, count, ids]) => !(count === ids && count >= 1 && text === (count === 1 ? '[1]' : '[1,2]')))
  .map(([text, count, ids]) => {
    const payload = Buffer.concat([Buffer.from(text), Buffer.alloc(ids * 4)]);
    const idAt = Array.from({ length: ids }, (_, i) => HEADER_SIZE + text.length + i * 4);
    return { what: `a RESULTS frame saying ${count} values with ${text || 'no text'} and ${ids} ids`, bytes: frameBytes(Kind.RESULTS, count, payload), idAt, mayAnswer: false };
  });

/** Error records that decode fine and are poison to a naive rebuild. */
const poisonRecord = fc.constantFrom('toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf').map((name) =>
  Buffer.from(`\x01{"name":${JSON.stringify(name)},"message":"poison","props":{"__proto__":{"x":1}},"isError":true}`),
);

const text = (what: string, s: string): Hostile => ({ what, bytes: Buffer.from(s, 'latin1'), idAt: [], mayAnswer: false });

/** Marks the bytes that start with a RESULT (or RESULTS) header aimed at the job (see `Hostile.mayAnswer`). */
const aimed = (hostile: Omit<Hostile, 'mayAnswer'>): Hostile => ({
  ...hostile,
  mayAnswer: hostile.idAt.includes(5) && hostile.bytes.length > 4 && (hostile.bytes[4] === Kind.RESULT || hostile.bytes[4] === Kind.RESULTS),
});

export const hostileBytes: fc.Arbitrary<Hostile> = fc.oneof(
  fc.constantFrom(text('junk', 'junk'), text('a colour code', 'abcd\x1b[0m'), text('a log line', 'worker started\n'), text('zero length', '\0\0\0\0')),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => aimed({ what: 'random bytes', bytes: Buffer.from(b), idAt: [] })),
  fc
    .tuple(fc.constantFrom(...CHILD_KINDS), fc.uint8Array({ minLength: 1, maxLength: 32 }), fc.nat())
    .map(([kind, payload, cut]) => {
      const full = frameBytes(kind, 0, Buffer.from(payload));
      return aimed({ what: `a truncated frame of kind ${kind}`, bytes: full.subarray(0, 1 + (cut % (full.length - 1))), idAt: [5] });
    }),
  fc
    .tuple(fc.integer({ min: 0, max: 255 }).filter((k) => !CHILD_KINDS.includes(k as never)), fc.uint8Array({ maxLength: 16 }))
    .map(([kind, payload]) => aimed({ what: `a header of kind ${kind}, which no child sends`, bytes: frameBytes(kind, 0, Buffer.from(payload)), idAt: [5] })),
  fc
    .tuple(fc.constantFrom(...CHILD_KINDS), fc.integer({ min: 2 ** 24, max: 2 ** 32 - 1 }))
    .map(([kind, claim]) => aimed({ what: `a header of kind ${kind} claiming ${claim} bytes`, bytes: frameBytes(kind, 0, Buffer.alloc(0), claim), idAt: [5] })),
  fc
    .tuple(fc.constantFrom(...ANSWER_KINDS), corruptPayload)
    .map(([kind, payload]) => aimed({ what: `a frame of kind ${kind} with a corrupt payload`, bytes: frameBytes(kind, 0, payload), idAt: [5] })),
  brokenRun,
  poisonRecord.map((payload) => aimed({ what: 'a JOB_ERROR whose record is poison', bytes: frameBytes(Kind.JOB_ERROR, 0, payload), idAt: [5] })),
);
