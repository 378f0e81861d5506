import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from '../../dist/channel/codec.js';
import { HEADER_SIZE } from '../../dist/channel/messages.js';

/**
 * Properties: what `decodeValue(encodeValue(v))` gives is what `structuredClone(v)` gives, field by
 * field, down to each view's offset and its buffer's length, with shared buffers shared and cycles
 * kept; and decoding from inside a bigger frame never lets its neighbours' bytes show.
 */

/** The bytes a frame holds around a payload: another job's, which must never show through. */
const NEIGHBOUR = Buffer.from('SECRET-OF-ANOTHER-JOB');
/** A top-level Buffer may keep its own frame's header and tag bytes in front of it. */
const BUFFER_PREFIX = HEADER_SIZE + 2;

function embedded(bytes: Buffer): Buffer {
  const frame = Buffer.concat([NEIGHBOUR, bytes, NEIGHBOUR]);
  return frame.subarray(NEIGHBOUR.length, NEIGHBOUR.length + bytes.length);
}

const typedArray = fc.oneof(
  fc.int8Array(), fc.uint8Array(), fc.uint8ClampedArray(), fc.int16Array(), fc.uint16Array(), fc.int32Array(), fc.uint32Array(),
  fc.float32Array(), fc.float64Array(), fc.bigInt64Array(), fc.bigUint64Array(),
);

const VIEW_KINDS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView] as const;

/** Several views (every kind, DataViews too) into one buffer, at aligned offsets, with the buffer itself. */
const sharedViews = fc
  .record({
    size: fc.integer({ min: 8, max: 256 }),
    fill: fc.integer({ min: 0, max: 255 }),
    views: fc.array(fc.record({ kind: fc.integer({ min: 0, max: VIEW_KINDS.length - 1 }), start: fc.nat(), count: fc.nat() }), { maxLength: 6 }),
    withBuffer: fc.boolean(),
  })
  .map(({ size, fill, views, withBuffer }) => {
    const buffer = new ArrayBuffer(size);
    new Uint8Array(buffer).fill(fill);
    const made: unknown[] = views.map(({ kind, start, count }) => {
      const Ctor = VIEW_KINDS[kind] as (typeof VIEW_KINDS)[number];
      const unit = Ctor === DataView ? 1 : (Ctor as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
      const offset = (start % Math.floor(size / unit)) * unit;
      const length = count % (Math.floor((size - offset) / unit) + 1);
      return Ctor === DataView ? new DataView(buffer, offset, length) : new (Ctor as Uint8ArrayConstructor)(buffer, offset, length);
    });
    if (withBuffer) made.push(buffer);
    return made;
  });

/** Buffers as users make them: small ones sit in Node's shared 8 KiB pool, next to other data. */
const buffer = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.string().map((text) => Buffer.from(text)),
  fc.integer({ min: 4096, max: 20_000 }).map((size) => Buffer.alloc(size, 9)),
);

const errorName = fc.oneof(fc.constantFrom('Error', 'TypeError', 'RangeError', 'constructor', '__proto__', 'toString', 'CustomError'), fc.string());
const errorClass = fc.constantFrom(Error, TypeError, RangeError, SyntaxError, EvalError, URIError, ReferenceError);

const leaf = fc.oneof(
  fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.bigInt()),
  fc.date({ noInvalidDate: false }),
  typedArray,
  buffer,
  sharedViews,
  fc.uint8Array({ maxLength: 32 }).map((bytes) => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
  fc.uint8Array({ maxLength: 32 }).map((bytes) => bytes.buffer),
);

const { tree } = fc.letrec((tie) => ({
  tree: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('node'), tie('error')),
  node: fc.oneof(
    fc.array(tie('tree'), { maxLength: 4 }),
    fc.dictionary(fc.string(), tie('tree'), { maxKeys: 4 }),
    fc.array(fc.tuple(tie('tree'), tie('tree')), { maxLength: 3 }).map((entries) => new Map(entries)),
    fc.array(tie('tree'), { maxLength: 3 }).map((items) => new Set(items)),
  ),
  error: fc.record({ Ctor: errorClass, name: errorName, message: fc.string(), cause: fc.option(tie('tree'), { nil: undefined }), withCause: fc.boolean() }).map(({ Ctor, name, message, cause, withCause }) => {
    const error = withCause ? new Ctor(message, { cause }) : new Ctor(message);
    error.name = name;
    return error;
  }),
}));

/** A tree, then the same parts reached twice (shared) and, maybe, the whole reachable from itself (a cycle). */
const value = fc.record({ inner: tree, cyclic: fc.boolean(), inMap: fc.boolean() }).map(({ inner, cyclic, inMap }) => {
  const outer: Record<string, unknown> = { inner, again: inner };
  if (cyclic) outer.self = outer;
  if (inMap) outer.map = new Map<unknown, unknown>([[inner, outer]]);
  return outer;
});

/** Compares a decoded value with structuredClone's, field by field; `seen` maps the clone's objects to the decoded ones. */
function expectSameClone(expected: unknown, actual: unknown, path: string, seen: Map<object, unknown>): void {
  if (typeof expected !== 'object' || expected === null) {
    expect(Object.is(actual, expected), `${path}: ${String(actual)} is not ${String(expected)}`).toBe(true);
    return;
  }
  if (seen.has(expected)) {
    // Shared references and cycles: the same object in structuredClone is the same object here.
    expect(seen.get(expected) === actual, `${path} should be the same object as where it was first met`).toBe(true);
    return;
  }
  seen.set(expected, actual);
  expect(typeof actual, path).toBe('object');
  const got = actual as object;
  if (expected instanceof Uint8Array && Buffer.isBuffer(got)) {
    // The one deliberate difference: a Buffer stays a Buffer, over its own bytes only.
    expect(Buffer.from(expected).equals(got), `${path}: bytes`).toBe(true);
    expect(got.buffer.byteLength - got.byteLength, `${path}: memory behind the Buffer`).toBeLessThanOrEqual(BUFFER_PREFIX);
    expect(got.byteOffset + got.byteLength, `${path}: nothing after the Buffer`).toBe(got.buffer.byteLength);
    return;
  }
  expect(Object.getPrototypeOf(got), `${path}: prototype`).toBe(Object.getPrototypeOf(expected));
  if (ArrayBuffer.isView(expected)) {
    const view = got as ArrayBufferView;
    expect(view.byteOffset, `${path}: byteOffset`).toBe(expected.byteOffset);
    expect(view.byteLength, `${path}: byteLength`).toBe(expected.byteLength);
    expectSameClone(expected.buffer, view.buffer, `${path}.buffer`, seen);
    return;
  }
  if (expected instanceof ArrayBuffer) {
    const buffer = got as ArrayBuffer;
    expect(buffer.byteLength, `${path}: buffer.byteLength`).toBe(expected.byteLength);
    expect(Buffer.from(buffer).equals(Buffer.from(expected)), `${path}: buffer bytes`).toBe(true);
    return;
  }
  if (expected instanceof Date) {
    expect(Object.is((got as Date).getTime(), expected.getTime()), path).toBe(true);
    return;
  }
  if (expected instanceof Map) {
    const entries = [...(got as Map<unknown, unknown>)];
    expect(entries.length, `${path}: size`).toBe(expected.size);
    [...expected].forEach(([k, v], i) => {
      expectSameClone(k, entries[i]?.[0], `${path}<key ${i}>`, seen);
      expectSameClone(v, entries[i]?.[1], `${path}<value ${i}>`, seen);
    });
    return;
  }
  if (expected instanceof Set) {
    const items = [...(got as Set<unknown>)];
    expect(items.length, `${path}: size`).toBe(expected.size);
    [...expected].forEach((v, i) => {
      expectSameClone(v, items[i], `${path}<${i}>`, seen);
    });
    return;
  }
  const keys = Reflect.ownKeys(expected);
  expect(Reflect.ownKeys(got), `${path}: keys`).toEqual(keys);
  for (const key of keys) {
    expectSameClone((expected as Record<PropertyKey, unknown>)[key], (got as Record<PropertyKey, unknown>)[key], `${path}.${String(key)}`, seen);
  }
}

/** structuredClone, or the fact that it refuses (an Error reachable from its own cause). */
function reference(input: unknown): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: structuredClone(input) };
  } catch {
    return { ok: false };
  }
}

describe('codec: decoded values are structuredClone copies with buffers of their own', () => {
  it('for nested views of every kind, DataViews, Buffers, shared buffers, Errors, Maps, Sets, Dates, BigInts and cycles', () => {
    fc.assert(
      fc.property(value, (input) => {
        const expected = reference(input);
        if (!expected.ok) {
          // What structuredClone cannot copy the codec refuses with a code, at the sender.
          expect(() => encodeValue(input)).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }));
          return;
        }
        const bytes = encodeValue(input);
        expectSameClone(expected.value, decodeValue(bytes), 'value', new Map());
        expectSameClone(expected.value, decodeValue(embedded(bytes)), 'value', new Map());
      }),
      { numRuns: 400 },
    );
  });

  it('for each value alone at the top level (the fast paths: a lone Buffer, a lone Uint8Array)', () => {
    fc.assert(
      fc.property(leaf, (input) => {
        const bytes = encodeValue(input);
        for (const decoded of [decodeValue(bytes), decodeValue(embedded(bytes))]) expectSameClone(structuredClone(input), decoded, 'value', new Map());
      }),
      { numRuns: 400 },
    );
  });

  it('the probe from the issue: a Uint8Array([1,2,3]) next to another job arrives on 3 bytes of its own', () => {
    const bytes = encodeValue(new Uint8Array([1, 2, 3]));
    const got = decodeValue(embedded(bytes)) as Uint8Array;
    expect(got.byteOffset).toBe(0);
    expect(got.buffer.byteLength).toBe(3);
    const nested = decodeValue(embedded(encodeValue({ a: new Float64Array(2) }))) as { a: Float64Array };
    expect(new Float64Array(nested.a.buffer)).toHaveLength(2);
    const buffer = decodeValue(embedded(encodeValue(Buffer.from('mine')))) as Buffer;
    expect(Buffer.isBuffer(buffer)).toBe(true);
    expect(Buffer.from(buffer.buffer).includes(NEIGHBOUR)).toBe(false);
  });

  it('an Error that is its own cause is refused with ERR_UNSERIALIZABLE at the sender, as structuredClone refuses it', () => {
    const self = new Error('self');
    self.cause = self;
    expect(() => encodeValue(self)).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }));
    const a = new Error('a');
    a.cause = { list: [new Error('b', { cause: a })] };
    expect(() => encodeValue({ wrapped: a })).toThrow(expect.objectContaining({ code: 'ERR_UNSERIALIZABLE' }));
    // A cycle through a plain object is fine: only a path back into an Error's own cause is not.
    const holder: Record<string, unknown> = {};
    holder.error = new Error('e', { cause: holder });
    const back = decodeValue(encodeValue(holder)) as { error: Error };
    expect(back.error.cause).toBe(back);
  });

  it('bytes that are not a value throw ERR_PROTOCOL', () => {
    for (const bytes of [Buffer.from([2, 0xff, 0x0f, 0x6f]), Buffer.from([2]), Buffer.from([9, 1, 2]), Buffer.from([2, 0xff, 0x0f, 0x5c, 0x09])]) {
      expect(() => decodeValue(bytes)).toThrow(expect.objectContaining({ code: 'ERR_PROTOCOL' }));
    }
  });
});
