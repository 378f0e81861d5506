import { isNativeError } from 'node:util/types';
import { ProtocolError } from '../errors.js';
import { safeString } from '../util/safe-string.js';
import { decodeValue, encodeValue } from './codec.js';

/**
 * Errors cross the boundary as plain records and are rebuilt in the receiver, so that a thrown
 * error keeps its name, message, stack, code, cause and own properties even when some of them
 * could not be cloned (those are dropped one by one, not the whole error).
 *
 * Both directions treat the other side as untrusted: `toErrorRecord` reads a thrown value that
 * may be a proxy, have throwing getters or a cyclic cause, and never throws; `fromErrorRecord`
 * reads a record that may be anything at all, and never throws either.
 */
export interface ErrorRecord {
  name: string;
  message: string;
  stack?: string;
  props: Record<string, unknown>;
  /**
   * An Error cause as its own record; a non-Error cause as `{ value }`; a cause that is one of
   * the errors it hangs from (a cyclic chain) as `{ ref }`, the index of that error in the chain
   * from the outermost (0) inwards.
   */
  cause?: ErrorRecord | { value: unknown } | { ref: number };
  /** A thrown non-Error value (a string, a number, ...). */
  thrown?: unknown;
  isError: boolean;
}

/** Cause chains deeper than this are cut: the rest is described by its text. */
const MAX_CAUSE_DEPTH = 32;

/**
 * A copy of `value` that is known to cross the boundary (encoded and decoded once), or nothing
 * when it cannot: a proxy or a getter could otherwise answer differently when the record is sent.
 */
function snapshot(value: unknown): { value: unknown } | undefined {
  try {
    return { value: decodeValue(encodeValue(value)) };
  } catch {
    return undefined;
  }
}

/** `object[key]`, or `undefined` when reading it throws (a getter, a proxy trap). */
function read(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return undefined;
  }
}

function isErrorLike(value: unknown): value is Error {
  try {
    return isNativeError(value) || value instanceof Error;
  } catch {
    return false;
  }
}

/** A text for a field that should have been a string (a function `name`, an object `stack`). */
function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') return (typeof read(value, 'name') === 'string' && (read(value, 'name') as string)) || 'Error';
  return safeString(value);
}

/** Never throws: whatever was thrown, something describing it crosses the boundary. */
export function toErrorRecord(error: unknown): ErrorRecord {
  try {
    return describeError(error, []);
  } catch {
    return { name: 'Error', message: safeString(error), props: {}, isError: true };
  }
}

function describeError(error: unknown, chain: Error[]): ErrorRecord {
  if (!isErrorLike(error)) {
    const copy = snapshot(error);
    return { name: 'Error', message: safeString(error), props: {}, thrown: copy ? copy.value : safeString(error), isError: false };
  }
  const name = read(error, 'name');
  const message = read(error, 'message');
  const stack = read(error, 'stack');
  const record: ErrorRecord = {
    name: name === undefined ? 'Error' : text(name),
    message: message === undefined ? '' : text(message),
    props: {},
    isError: true,
  };
  if (stack !== undefined) record.stack = text(stack);
  let keys: string[] = [];
  try {
    keys = Object.keys(error);
  } catch {
    // A proxy whose ownKeys trap throws: the name, message and stack are still sent.
  }
  for (const key of keys) {
    if (key === 'cause') continue;
    const copy = snapshot(read(error, key));
    if (copy) record.props[key] = copy.value;
  }
  let cause: unknown;
  try {
    cause = 'cause' in error ? error.cause : undefined;
  } catch {
    cause = undefined;
  }
  if (cause !== undefined) {
    chain.push(error);
    const ref = chain.indexOf(cause as Error);
    if (ref !== -1) record.cause = { ref };
    else if (isErrorLike(cause) && chain.length < MAX_CAUSE_DEPTH) record.cause = describeError(cause, chain);
    else {
      const copy = isErrorLike(cause) ? undefined : snapshot(cause);
      record.cause = { value: copy ? copy.value : safeString(cause) };
    }
    chain.pop();
  }
  return record;
}

/**
 * Looked up with `Map#get`, never as `object[name]`: a name such as `constructor`, `toString`
 * or `__proto__` must not reach `Object.prototype`.
 */
const BUILTIN = new Map<string, ErrorConstructor>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
]);

/** `record[key]` when it is the record's own property; nothing is looked up on a prototype. */
function own(record: object, key: string): unknown {
  return Object.hasOwn(record, key) ? (record as Record<string, unknown>)[key] : undefined;
}

function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(target, key, { value, configurable: true, writable: true, enumerable });
}

/**
 * Rebuilds what `toErrorRecord` described. Never throws: a record it cannot read (garbage from a
 * broken peer) still gives an Error, with whatever text the record had.
 */
export function fromErrorRecord(record: unknown): unknown {
  try {
    return rebuild(record, []);
  } catch {
    let message: unknown;
    try {
      message = typeof record === 'object' && record !== null ? own(record, 'message') : record;
    } catch {
      message = undefined;
    }
    return new Error(typeof message === 'string' ? message : 'An error was received that could not be rebuilt.');
  }
}

function rebuild(record: unknown, chain: Error[]): unknown {
  if (typeof record !== 'object' || record === null) {
    return new ProtocolError(`The other process sent an error that is not an error record: ${safeString(record).slice(0, 200)}`);
  }
  const isError = own(record, 'isError');
  if (isError === false) return own(record, 'thrown');
  if (isError !== true) {
    return new ProtocolError(`The other process sent an error that is not an error record: ${safeString(record).slice(0, 200)}`);
  }
  const name = own(record, 'name');
  const message = own(record, 'message');
  const Ctor = (typeof name === 'string' ? BUILTIN.get(name) : undefined) ?? Error;
  const error = new Ctor(typeof message === 'string' ? message : message === undefined ? '' : safeString(message));
  if (typeof name === 'string' && error.name !== name) define(error, 'name', name, false);
  const stack = own(record, 'stack');
  if (typeof stack === 'string') define(error, 'stack', stack, false);
  const props = own(record, 'props');
  if (typeof props === 'object' && props !== null) {
    // defineProperty, not assignment: a key `__proto__` stays a plain own property.
    for (const key of Object.keys(props)) define(error, key, own(props, key), true);
  }
  const cause = own(record, 'cause');
  if (typeof cause === 'object' && cause !== null) {
    const ref = own(cause, 'ref');
    let value: unknown;
    if (typeof ref === 'number') value = ref === chain.length ? error : chain[ref];
    else if (Object.hasOwn(cause, 'value') && !Object.hasOwn(cause, 'isError')) value = own(cause, 'value');
    else if (chain.length < MAX_CAUSE_DEPTH) {
      chain.push(error);
      value = rebuild(cause, chain);
      chain.pop();
    }
    define(error, 'cause', value, false);
  }
  return error;
}
