import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from '../../dist/channel/codec.js';
import { fromErrorRecord, toErrorRecord } from '../../dist/channel/error-wire.js';

/** What a thrown value looks like on the other side: described, sent, decoded, rebuilt. */
function acrossTheWire(thrown: unknown): unknown {
  return fromErrorRecord(decodeValue(encodeValue(toErrorRecord(thrown))));
}

const OBJECT_PROTOTYPE_NAMES = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__defineGetter__'];

describe('fromErrorRecord: names are data, never looked up on a prototype', () => {
  it.each(OBJECT_PROTOTYPE_NAMES)('name %j gives a plain Error with that name and its message', (name) => {
    const error = new Error('boom');
    error.name = name;
    const back = acrossTheWire(error) as Error;
    expect(back).toBeInstanceOf(Error);
    expect(Object.getPrototypeOf(back)).toBe(Error.prototype);
    expect(back.name).toBe(name);
    expect(back.message).toBe('boom');
    expect(back.stack).toBe(error.stack);
  });

  it.each(['TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError'])('builtin %s maps to its class', (name) => {
    const Ctor = (globalThis as Record<string, unknown>)[name] as ErrorConstructor;
    const back = acrossTheWire(new Ctor('x')) as Error;
    expect(back).toBeInstanceOf(Ctor);
    expect(back.name).toBe(name);
  });

  it('a custom name on a builtin keeps the class of the name it has', () => {
    const error = new TypeError('x');
    error.name = 'ValidationError';
    const back = acrossTheWire(error) as Error;
    expect(Object.getPrototypeOf(back)).toBe(Error.prototype);
    expect(back.name).toBe('ValidationError');
  });

  it('any name string at all comes back as given on an Error', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string(), (name, message) => {
        const error = new Error(message);
        error.name = name;
        const back = acrossTheWire(error) as Error;
        expect(back).toBeInstanceOf(Error);
        expect(back.name).toBe(name);
        expect(back.message).toBe(message);
      }),
      { numRuns: 300 },
    );
  });

  it('props named __proto__, constructor or toString stay own properties and change no prototype', () => {
    const record = JSON.parse('{"name":"Error","message":"m","isError":true,"props":{"__proto__":{"polluted":1},"constructor":5,"toString":"t","code":"E_X"}}');
    const back = fromErrorRecord(record) as Error & Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Error.prototype);
    expect(Object.getOwnPropertyDescriptor(back, '__proto__')?.value).toEqual({ polluted: 1 });
    expect(back.constructor).toBe(5);
    expect(back.code).toBe('E_X');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('fromErrorRecord never throws', () => {
  const garbage: Array<[string, unknown]> = [
    ['null', null],
    ['a number', 42],
    ['a string', 'just text'],
    ['undefined', undefined],
    ['an empty object', {}],
    ['an array', [1, 2, 3]],
    ['a name that is an object', { name: { toString: 1 }, message: 'kept', isError: true, props: {} }],
    ['a message that is a number', { name: 'Error', message: 7, isError: true, props: {} }],
    ['props that are a number', { name: 'Error', message: 'm', isError: true, props: 5 }],
    ['a cause reference out of range', { name: 'Error', message: 'm', isError: true, props: {}, cause: { ref: 99 } }],
    ['a cause that is garbage', { name: 'Error', message: 'm', isError: true, props: {}, cause: { name: 3 } }],
    ['a stack that is an object', { name: 'Error', message: 'm', stack: {}, isError: true, props: {} }],
    ['a null-prototype record', Object.assign(Object.create(null), { name: 'toString', message: 'np', isError: true })],
    ['a Map', new Map([['name', 'x']])],
  ];

  it.each(garbage)('for %s: an Error', (_what, record) => {
    const back = fromErrorRecord(record);
    expect(back).toBeInstanceOf(Error);
  });

  it('keeps the text a broken record had', () => {
    expect((fromErrorRecord({ name: { toString: 1 }, message: 'kept', isError: true, props: {} }) as Error).message).toBe('kept');
    expect((fromErrorRecord(null) as Error & { code?: string }).code).toBe('ERR_PROTOCOL');
  });

  it('for records fast-check makes up', () => {
    fc.assert(
      fc.property(fc.anything({ withMap: true, withSet: true, withNullPrototype: true, withBigInt: true }), (record) => {
        expect(() => fromErrorRecord(record)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });

  it('a thrown non-Error comes back as the value', () => {
    expect(acrossTheWire('a string')).toBe('a string');
    expect(acrossTheWire(42)).toBe(42);
    expect(acrossTheWire(undefined)).toBeUndefined();
    expect(acrossTheWire({ a: [1] })).toEqual({ a: [1] });
  });
});

describe('toErrorRecord never throws and sends what it can', () => {
  it('an error whose name is a function, whose stack is an object', () => {
    const error = new Error('with odd fields') as Error & Record<string, unknown>;
    (error as unknown as { name: unknown }).name = function CustomName() {};
    (error as unknown as { stack: unknown }).stack = { frames: [1, 2] };
    const back = acrossTheWire(error) as Error;
    expect(back).toBeInstanceOf(Error);
    expect(back.message).toBe('with odd fields');
    expect(back.name).toBe('CustomName');
    expect(typeof back.stack).toBe('string');
  });

  it('an error whose getters throw', () => {
    const error = new Error('base');
    for (const key of ['stack', 'name', 'message', 'cause', 'code']) {
      Object.defineProperty(error, key, { get() { throw new Error(`getter ${key}`); }, enumerable: key === 'code' });
    }
    const back = acrossTheWire(error) as Error;
    expect(back).toBeInstanceOf(Error);
    expect(back.name).toBe('Error');
  });

  it('proxies, with and without throwing traps', () => {
    const throwing = new Proxy(new Error('p'), {
      get() { throw new Error('trap'); },
      ownKeys() { throw new Error('trap'); },
      has() { throw new Error('trap'); },
      getPrototypeOf() { throw new Error('trap'); },
    });
    expect(acrossTheWire(throwing)).toBeDefined();
    const plain = new Proxy(new Error('through a proxy'), {});
    expect((acrossTheWire(plain) as Error).message).toBe('through a proxy');
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    expect(() => acrossTheWire(revocable.proxy)).not.toThrow();
  });

  it('props that cannot be cloned are dropped one by one; the others come', () => {
    const error = Object.assign(new Error('m'), { code: 'E_KEEP', fn: () => 1, sym: Symbol('s'), nested: { ok: true } });
    const back = acrossTheWire(error) as unknown as Record<string, unknown>;
    expect(back.code).toBe('E_KEEP');
    expect(back.nested).toEqual({ ok: true });
    expect('fn' in back).toBe(false);
  });

  it('thrown values that cannot be cloned arrive as their text', () => {
    expect(acrossTheWire(Symbol('thrown'))).toBe('Symbol(thrown)');
    expect(typeof acrossTheWire(() => 1)).toBe('string');
    expect(typeof acrossTheWire(Object.create(null))).toBe('object');
  });

  it('cyclic cause chains round-trip', () => {
    const self = new Error('self');
    self.cause = self;
    const back = acrossTheWire(self) as Error;
    expect(back.cause).toBe(back);

    const a = new Error('a');
    const b = new TypeError('b');
    a.cause = b;
    b.cause = a;
    const backA = acrossTheWire(a) as Error;
    expect((backA.cause as Error).message).toBe('b');
    expect(backA.cause).toBeInstanceOf(TypeError);
    expect((backA.cause as Error).cause).toBe(backA);
  });

  it('a non-Error cause that leads back to the error arrives as a clone of it, cycle kept', () => {
    const error = new Error('outer');
    error.cause = { back: error };
    const back = acrossTheWire(error) as Error;
    expect(back.message).toBe('outer');
    const cause = back.cause as { back: Error };
    expect(cause.back.message).toBe('outer');
    expect(cause.back.cause).toBe(cause);
  });

  it('a prop holding an Error that is its own cause is dropped, the rest arrives', () => {
    const loop = new Error('loop');
    loop.cause = loop;
    const error = Object.assign(new Error('outer'), { loop, code: 'E_REST' });
    const back = acrossTheWire(error) as Error & Record<string, unknown>;
    expect(back.code).toBe('E_REST');
    expect('loop' in back).toBe(false);
  });

  it('long cause chains are cut, not overflowed', () => {
    let error = new Error('0');
    for (let i = 1; i < 1000; i++) error = new Error(String(i), { cause: error });
    const back = acrossTheWire(error) as Error;
    let depth = 0;
    for (let at: unknown = back; at instanceof Error; at = at.cause) depth++;
    expect(depth).toBeGreaterThan(10);
    expect(depth).toBeLessThan(1000);
  });

  it('causes, codes and own props survive', () => {
    const inner = Object.assign(new RangeError('inner'), { code: 'E_INNER' });
    const outer = Object.assign(new Error('outer', { cause: inner }), { code: 'E_OUTER', detail: new Map([[1, 2]]) });
    const back = acrossTheWire(outer) as Error & { code: string; detail: Map<number, number>; cause: RangeError & { code: string } };
    expect(back.code).toBe('E_OUTER');
    expect(back.detail).toEqual(new Map([[1, 2]]));
    expect(back.cause).toBeInstanceOf(RangeError);
    expect(back.cause.code).toBe('E_INNER');
  });

  it('the record it makes can always be encoded', () => {
    fc.assert(
      fc.property(fc.anything({ withMap: true, withSet: true, withNullPrototype: true, withBigInt: true, withTypedArray: true }), fc.string(), (value, name) => {
        const error = Object.assign(new Error('m'), { value });
        error.name = name;
        expect(() => encodeValue(toErrorRecord(error))).not.toThrow();
        expect(() => encodeValue(toErrorRecord(value))).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
