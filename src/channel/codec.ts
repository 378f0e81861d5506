import { Deserializer, Serializer } from 'node:v8';
import { isDataView } from 'node:util/types';
import { ProtocolError, UnserializableError } from '../errors.js';
import { HEADER_SIZE } from './messages.js';

/**
 * Values cross the process boundary with structured-clone semantics.
 *
 * Most jobs are small plain JSON trees, and JSON.stringify/parse is roughly twice as fast as
 * v8.serialize for them, so such values take a JSON fast path. Anything JSON would not
 * reproduce exactly (undefined, -0, NaN, Map, Date, BigInt, typed arrays, cycles, shared
 * references, holes, extra array properties, class instances, ...) falls back to v8.serialize,
 * which is structured clone itself. One leading tag byte says which codec produced the bytes.
 *
 * Decoded values never share memory with the frame they came in: typed arrays, DataViews and
 * ArrayBuffers get buffers of their own, exactly as `structuredClone` gives them (a view keeps
 * its offset into its own copy of the buffer it had, and views that shared a buffer share the
 * copy). Bytes of another job in the same read must never show through a view's `.buffer`.
 *
 * One deliberate difference from `structuredClone`: a Buffer comes back as a Buffer of its own
 * bytes only (its `.buffer` holds nothing else), where `structuredClone` would give a plain
 * Uint8Array over a copy of the whole (often pooled, 8 KiB) memory behind it.
 */

export const TAG_UNDEFINED = 0;
export const TAG_JSON = 1;
export const TAG_V8 = 2;
/** A top-level Buffer or Uint8Array: its bytes as they are, after a subtype byte. */
export const TAG_BYTES = 3;
const BYTES_BUFFER = 0;
const BYTES_UINT8ARRAY = 1;

/** Past this many nodes the walk stops and v8 takes over: it is fast on big trees. */
const JSON_WALK_BUDGET = 2048;

let budget = 0;
/** Objects met in the current walk: a second meeting (a cycle or a shared reference) needs v8. */
const seen = new Set<object>();

function jsonSafe(value: unknown): boolean {
  if (--budget < 0) return false;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false;
        const length = value.length;
        for (let i = 0; i < length; i++) {
          if (!(i in value) || !jsonSafe(value[i])) return false;
        }
        // Named properties on an array survive structuredClone but not JSON.
        return Object.keys(value).length === length;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key in value) {
        if (!jsonSafe((value as Record<string, unknown>)[key])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** True when JSON.stringify/parse reproduces the value exactly as structuredClone would. */
export function isJsonSafe(value: unknown): boolean {
  budget = JSON_WALK_BUDGET;
  try {
    return jsonSafe(value);
  } finally {
    seen.clear();
  }
}

/**
 * The JSON text of a value the fast path can carry, or `undefined` when it needs v8.
 * Writers that frame the text themselves use it to skip an intermediate buffer.
 */
export function jsonText(value: unknown): string | undefined {
  return isJsonSafe(value) ? JSON.stringify(value) : undefined;
}

const UNDEFINED_BYTES = Buffer.from([TAG_UNDEFINED]);

/** The encoding of a value whose `jsonText` is `text`. */
export function jsonBytes(text: string): Buffer {
  const bytes = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
  bytes[0] = TAG_JSON;
  bytes.write(text, 1, 'utf8');
  return bytes;
}

/**
 * Encodes a value into bytes of its own (a snapshot: later changes to the value do not show);
 * throws (Node's "could not be cloned" error) when it cannot be cloned.
 */
export function encodeValue(value: unknown): Buffer {
  const parts = encodeValueParts(value);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

const BYTES_HEADERS = [Buffer.from([TAG_BYTES, BYTES_BUFFER]), Buffer.from([TAG_BYTES, BYTES_UINT8ARRAY])] as const;
const V8_HEADER = Buffer.from([TAG_V8]);

/** Which view a host object is, in the v8 path's own encoding (never Node's: see `ViewSerializer`). */
const VIEW_BUFFER = 0;
const VIEW_DATAVIEW = 1;
const TYPED_ARRAYS = [
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array,
] as const;
/** Typed array name -> its code (2 + index): the name comes from the engine, not from `constructor`. */
const TYPED_CODES = new Map<string, number>(TYPED_ARRAYS.map((ctor, index) => [ctor.name, 2 + index]));
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype) as object, Symbol.toStringTag)?.get as (this: unknown) => string | undefined;

/**
 * Node's serializer writes every view as its own bytes and its deserializer gives them back as
 * views into the input: into the frame, next to other jobs' bytes, with views that shared a
 * buffer no longer sharing it. This one writes a view as (offset, length, its ArrayBuffer), the
 * buffer through `writeValue` so that v8 writes each buffer once and references after; a Buffer
 * is written as its bytes only and read into memory of its own.
 */
class ViewSerializer extends Serializer {
  constructor() {
    super();
    // Not in @types/node, but part of Node's Serializer since v8.0 (DefaultSerializer calls it).
    (this as unknown as { _setTreatArrayBufferViewsAsHostObjects(flag: boolean): void })._setTreatArrayBufferViewsAsHostObjects(true);
  }

  _writeHostObject(object: object): void {
    if (Buffer.isBuffer(object)) {
      this.writeUint32(VIEW_BUFFER);
      this.writeUint32(object.byteLength);
      this.writeRawBytes(object);
      return;
    }
    const code = isDataView(object) ? VIEW_DATAVIEW : TYPED_CODES.get(typedArrayTag.call(object) ?? '');
    if (code === undefined) throw new Error(`${Object.prototype.toString.call(object)} could not be cloned.`);
    const view = object as ArrayBufferView;
    this.writeUint32(code);
    this.writeUint32(view.byteOffset);
    this.writeUint32(view.byteLength);
    this.writeValue(view.buffer);
  }

  _getDataCloneError(message: string): Error {
    return new Error(message);
  }
}

class ViewDeserializer extends Deserializer {
  _readHostObject(): unknown {
    const code = this.readUint32();
    if (code === VIEW_BUFFER) {
      const length = this.readUint32();
      const bytes = Buffer.allocUnsafeSlow(length);
      this.readRawBytes(length).copy(bytes);
      return bytes;
    }
    const byteOffset = this.readUint32();
    const byteLength = this.readUint32();
    const buffer = this.readValue() as ArrayBuffer;
    if (code === VIEW_DATAVIEW) return new DataView(buffer, byteOffset, byteLength);
    const Ctor = TYPED_ARRAYS[code - 2];
    if (!Ctor) throw new Error(`unknown view code ${code}`);
    return new Ctor(buffer, byteOffset, byteLength / Ctor.BYTES_PER_ELEMENT);
  }
}

function serialize(value: unknown): Buffer {
  const serializer = new ViewSerializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  return serializer.releaseBuffer();
}

function deserialize(bytes: Buffer): unknown {
  const deserializer = new ViewDeserializer(bytes);
  deserializer.readHeader();
  return deserializer.readValue();
}

/** v8's tag byte for an Error ('r'): bytes without it hold no Error and need no cycle check. */
const V8_ERROR_TAG = 0x72;

/** Pushed after an Error's cause on the walk's stack: popping it means the cause was all walked. */
class LeaveError {
  constructor(readonly error: Error) {}
}

/**
 * True when an Error is reachable from its own `cause`: v8 writes such a value, but cannot read
 * it back (an Error gets its identity only once its cause is read). structuredClone fails the same
 * way. Iterative, so that a deep value v8 could write does not overflow the stack here.
 */
function hasSelfCausedError(root: unknown): boolean {
  const done = new Set<object>();
  const open = new Set<object>();
  const stack: unknown[] = [root];
  try {
    while (stack.length > 0) {
      const value = stack.pop();
      if (value instanceof LeaveError) {
        open.delete(value.error);
        continue;
      }
      if (typeof value !== 'object' || value === null) continue;
      if (open.has(value)) return true;
      if (done.has(value) || ArrayBuffer.isView(value) || value instanceof ArrayBuffer) continue;
      done.add(value);
      if (value instanceof Error) {
        open.add(value);
        stack.push(new LeaveError(value), value.cause);
      } else if (value instanceof Map) {
        for (const [k, v] of value) stack.push(k, v);
      } else if (value instanceof Set) {
        for (const v of value) stack.push(v);
      } else {
        for (const key of Object.keys(value)) stack.push((value as Record<string, unknown>)[key]);
      }
    }
  } catch {
    // A getter that throws now: v8 read it a moment ago, so let its bytes stand.
  }
  return false;
}

/** A Uint8Array that is all of its own ArrayBuffer: its bytes alone say everything structuredClone keeps. */
function isWholeUint8Array(value: Uint8Array): boolean {
  return value.constructor === Uint8Array && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength && !('resizable' in value.buffer && value.buffer.resizable);
}

/**
 * `encodeValue`'s bytes as a head and, for binary and v8 values, the body that `encodeValue`
 * would copy after it: a writer that writes the two one after the other (the frame writer)
 * skips that copy. The body may be the caller's own bytes: write them before the value changes.
 */
export function encodeValueParts(value: unknown): [Buffer] | [Buffer, Uint8Array] {
  if (value instanceof Uint8Array) {
    // Binary payloads skip the serializer, which would copy them twice.
    if (Buffer.isBuffer(value)) return [BYTES_HEADERS[BYTES_BUFFER], value];
    if (isWholeUint8Array(value)) return [BYTES_HEADERS[BYTES_UINT8ARRAY], value];
  }
  if (value === undefined) return [UNDEFINED_BYTES];
  const text = jsonText(value);
  if (text !== undefined) return [jsonBytes(text)];
  const bytes = serialize(value);
  if (bytes.indexOf(V8_ERROR_TAG) !== -1 && hasSelfCausedError(value)) {
    throw new UnserializableError('value', new Error('an Error is its own cause (directly or through its cause chain); such a value cannot be read back'));
  }
  return [V8_HEADER, bytes];
}

/** Bytes before a top-level Buffer's own in its frame: the frame header and two tag bytes. */
const BYTES_PREFIX = HEADER_SIZE + 2;

/**
 * True when `view`'s memory holds nothing but it and (at most) its own frame's header: the frame
 * reader gives a big frame that spanned reads memory of its own, and such a Buffer is not copied.
 */
function ownsMemory(view: Buffer): boolean {
  return view.byteOffset <= BYTES_PREFIX && view.byteOffset + view.byteLength === view.buffer.byteLength;
}

/**
 * Decodes bytes made by `encodeValue`; `bytes` may be a view into a larger frame buffer (the
 * decoded value never is). Bytes that do not decode come from a broken or hostile peer (what the
 * sender could encode, this reads back): they throw ERR_PROTOCOL.
 */
export function decodeValue(bytes: Buffer): unknown {
  const tag = bytes[0];
  if (tag === TAG_JSON) return JSON.parse(bytes.toString('utf8', 1));
  if (tag === TAG_UNDEFINED) return undefined;
  if (tag === TAG_V8) {
    try {
      return deserialize(bytes.subarray(1));
    } catch (error) {
      throw new ProtocolError(`Bytes received could not be decoded: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (tag === TAG_BYTES) {
    const view = bytes.subarray(2);
    if (bytes[1] === BYTES_BUFFER) {
      if (ownsMemory(view)) return view;
      const copy = Buffer.allocUnsafeSlow(view.byteLength);
      view.copy(copy);
      return copy;
    }
    return new Uint8Array(view);
  }
  throw new ProtocolError(`Bytes received could not be decoded: unknown value tag ${String(tag)}.`);
}
