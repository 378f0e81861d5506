import { ProtocolError, UnserializableError } from '../errors.js';
import { HEADER_SIZE } from './messages.js';
import { deserialize, hasSelfCausedError, serialize, V8_ERROR_TAG } from './v8-views.js';

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
/**
 * Objects met in the current walk: a second meeting (a cycle or a shared reference) needs v8.
 * A short array first (a typical job or result holds one or two objects), cheaper to fill and
 * empty than a Set; a Set once the walk has met more.
 */
const seenList: object[] = [];
let seenSet: Set<object> | undefined;
const SEEN_LIST_MAX = 16;

/** False when the walk met `value` before. */
function firstMeeting(value: object): boolean {
  if (seenSet) {
    if (seenSet.has(value)) return false;
    seenSet.add(value);
    return true;
  }
  for (let i = 0; i < seenList.length; i++) if (seenList[i] === value) return false;
  seenList.push(value);
  if (seenList.length > SEEN_LIST_MAX) seenSet = new Set(seenList);
  return true;
}

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
      if (!firstMeeting(value)) return false;
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
    seenList.length = 0;
    seenSet = undefined;
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
