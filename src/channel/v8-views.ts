import { isDataView } from 'node:util/types';
import { Deserializer, Serializer } from 'node:v8';

/**
 * The codec's v8 path: structured clone bytes in which typed arrays, DataViews and Buffers are
 * written so that they read back with memory of their own, as `structuredClone` gives them.
 */

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

export function serialize(value: unknown): Buffer {
  const serializer = new ViewSerializer();
  serializer.writeHeader();
  serializer.writeValue(value);
  return serializer.releaseBuffer();
}

export function deserialize(bytes: Buffer): unknown {
  const deserializer = new ViewDeserializer(bytes);
  deserializer.readHeader();
  return deserializer.readValue();
}

/** v8's tag byte for an Error ('r'): bytes without it hold no Error and need no cycle check. */
export const V8_ERROR_TAG = 0x72;

/** Pushed after an Error's cause on the walk's stack: popping it means the cause was all walked. */
class LeaveError {
  constructor(readonly error: Error) {}
}

/**
 * True when an Error is reachable from its own `cause`: v8 writes such a value, but cannot read
 * it back (an Error gets its identity only once its cause is read). structuredClone fails the same
 * way. Iterative, so that a deep value v8 could write does not overflow the stack here.
 */
export function hasSelfCausedError(root: unknown): boolean {
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
