import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, isJsonSafe } from '../../dist/channel/codec.js';

const roundTrip = (value: unknown): unknown => decodeValue(encodeValue(value));

/** Everything structuredClone accepts that fast-check can make, including the JSON-hostile corners. */
const cloneable = fc.anything({
  maxDepth: 4,
  withBigInt: true,
  withBoxedValues: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withNullPrototype: true,
  withSparseArray: true,
  withTypedArray: true,
  withObjectString: false,
});

/** Values the JSON fast path takes: plain trees of strings, finite numbers, booleans and null. */
const jsonLike = fc.jsonValue();

describe('codec: round trip equals structuredClone', () => {
  it('for arbitrary cloneable values (Map, Set, Date, BigInt, typed arrays, null-prototype objects, -0, NaN, undefined, holes)', () => {
    fc.assert(
      fc.property(cloneable, (value) => {
        expect(roundTrip(value)).toStrictEqual(structuredClone(value));
      }),
      { numRuns: 500 },
    );
  });

  it('for JSON-like trees, which take the fast path', () => {
    fc.assert(
      fc.property(jsonLike, (value) => {
        expect(roundTrip(value)).toStrictEqual(structuredClone(value));
      }),
      { numRuns: 500 },
    );
  });

  it('for doubles, -0 and NaN included, at any depth', () => {
    fc.assert(
      fc.property(fc.double(), fc.array(fc.double()), (n, list) => {
        const value = { n, list, nested: { n } };
        const back = roundTrip(value) as typeof value;
        expect(back).toStrictEqual(structuredClone(value));
        expect(Object.is(back.n, n)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('for strings with lone surrogates, NUL and line separators', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(roundTrip({ text })).toStrictEqual({ text });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps cycles and shared references as structuredClone does', () => {
    fc.assert(
      fc.property(jsonLike, fc.boolean(), (inner, cyclic) => {
        const shared = { inner };
        const value: Record<string, unknown> = { a: shared, b: [shared, shared] };
        if (cyclic) value.self = value;
        const back = roundTrip(value) as { a: unknown; b: unknown[]; self?: unknown };
        expect(back).toStrictEqual(structuredClone(value));
        expect(back.b[0]).toBe(back.a);
        expect(back.b[1]).toBe(back.a);
        if (cyclic) expect(back.self).toBe(back);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps the extra properties of arrays and the undefined members of objects', () => {
    const list = Object.assign([1, 2], { extra: 'kept' });
    expect(roundTrip(list)).toStrictEqual(structuredClone(list));
    expect((roundTrip(list) as { extra?: string }).extra).toBe('kept');
    const record = { a: undefined, b: 1 };
    expect(Object.keys(roundTrip(record) as object)).toEqual(['a', 'b']);
    // biome-ignore lint/suspicious/noSparseArray: a hole is the value under test.
    expect(roundTrip([, 1])).toStrictEqual(structuredClone([, 1]));
  });

  it('turns class instances and null-prototype objects into plain objects, like structuredClone', () => {
    class Point {
      constructor(
        public x: number,
        public y: number,
      ) {}
    }
    const value = { p: new Point(1, 2), n: Object.assign(Object.create(null) as object, { k: 1 }) };
    const back = roundTrip(value) as { p: object; n: object };
    expect(back).toStrictEqual(structuredClone(value));
    expect(Object.getPrototypeOf(back.p)).toBe(Object.prototype);
  });

  it('carries errors, regexps and boxed values as structuredClone does', () => {
    const value = { re: /a+b/giu, boxed: Object(1n) as object, str: Object('s') as object, error: new RangeError('bad') };
    const back = roundTrip(value) as typeof value;
    const clone = structuredClone(value);
    expect(back.re).toStrictEqual(clone.re);
    expect(back.boxed).toStrictEqual(clone.boxed);
    expect(back.str).toStrictEqual(clone.str);
    expect(back.error).toBeInstanceOf(RangeError);
    expect(back.error.message).toBe('bad');
  });

  it('throws on what structuredClone refuses (functions, symbols), as structuredClone does', () => {
    for (const value of [() => 1, { f: () => 1 }, Symbol('s'), { s: Symbol('s') }]) {
      expect(() => structuredClone(value)).toThrow();
      expect(() => encodeValue(value)).toThrow(/could not be cloned/);
    }
  });
});

describe('codec: Buffers', () => {
  // Documented difference: structuredClone turns a Buffer into a plain Uint8Array; the codec
  // gives back a Buffer (Node's serializer tags it), which is what Node code expects.
  it('come back as Buffers with the same bytes (structuredClone would give a Uint8Array)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), (bytes) => {
        const buffer = Buffer.from(bytes);
        const back = roundTrip({ buffer }) as { buffer: Buffer };
        expect(Buffer.isBuffer(back.buffer)).toBe(true);
        expect(back.buffer.equals(buffer)).toBe(true);
        expect(structuredClone(buffer)).not.toBeInstanceOf(Buffer);
      }),
      { numRuns: 100 },
    );
  });

  it('a Buffer that is a view into a larger pool carries only its own bytes', () => {
    const small = Buffer.from('hello');
    const back = roundTrip(small) as Buffer;
    expect(back.toString()).toBe('hello');
    expect(back.length).toBe(5);
  });

  it('a 1 MiB Buffer round-trips at the top level and nested', () => {
    const big = Buffer.alloc(1 << 20, 7);
    expect((roundTrip(big) as Buffer).equals(big)).toBe(true);
    expect((roundTrip({ big }) as { big: Buffer }).big.equals(big)).toBe(true);
  });
});

describe('codec: the JSON fast path', () => {
  it('is taken exactly when JSON would reproduce the value', () => {
    expect(isJsonSafe({ a: 1, b: 'x', c: [true, null] })).toBe(true);
    // biome-ignore lint/suspicious/noSparseArray: a hole is one of the values under test.
    for (const value of [{ a: undefined }, -0, NaN, Infinity, [, 1], new Date(0), new Map(), 1n, Object.assign([1], { x: 1 })]) {
      expect(isJsonSafe(value)).toBe(false);
    }
    const shared = {};
    expect(isJsonSafe({ a: shared, b: shared })).toBe(false);
  });

  it('accepts bytes that are a view into a larger buffer', () => {
    const inner = encodeValue({ a: 1 });
    const frame = Buffer.concat([Buffer.from([9, 9, 9]), inner, Buffer.from([9])]);
    expect(decodeValue(frame.subarray(3, 3 + inner.length))).toEqual({ a: 1 });
  });

  it('rejects an unknown tag', () => {
    expect(() => decodeValue(Buffer.from([99, 1, 2]))).toThrow(/tag/);
  });
});
