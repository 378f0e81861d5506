import { deserialize, serialize } from 'node:v8';

/**
 * Values cross the process boundary with structured-clone semantics.
 *
 * Most jobs are small plain JSON trees, and JSON.stringify/parse is roughly twice as fast as
 * v8.serialize for them, so such values take a JSON fast path. Anything JSON would not
 * reproduce exactly (undefined, -0, NaN, Map, Date, BigInt, typed arrays, cycles, holes, class
 * instances, ...) falls back to v8.serialize, which is structured clone itself.
 * One leading tag byte says which codec produced the bytes.
 */

const TAG_UNDEFINED = 0;
const TAG_JSON = 1;
const TAG_V8 = 2;

/** Past this many nodes the walk stops and v8 takes over: it is fast on big trees and handles cycles. */
const JSON_WALK_BUDGET = 2048;

let budget = 0;

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
      if (Array.isArray(value)) {
        if (Object.getPrototypeOf(value) !== Array.prototype) return false;
        for (let i = 0; i < value.length; i++) {
          if (!(i in value) || !jsonSafe(value[i])) return false;
        }
        return true;
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
  return jsonSafe(value);
}

const UNDEFINED_BYTES = Buffer.from([TAG_UNDEFINED]);

/** Encodes a value; throws (a DataCloneError) when it cannot be cloned. */
export function encodeValue(value: unknown): Buffer {
  if (value === undefined) return UNDEFINED_BYTES;
  if (isJsonSafe(value)) {
    const text = JSON.stringify(value);
    const bytes = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
    bytes[0] = TAG_JSON;
    bytes.write(text, 1, 'utf8');
    return bytes;
  }
  const body = serialize(value);
  const bytes = Buffer.allocUnsafe(1 + body.length);
  bytes[0] = TAG_V8;
  body.copy(bytes, 1);
  return bytes;
}

/** Decodes bytes made by `encodeValue`; `bytes` may be a view into a larger frame buffer. */
export function decodeValue(bytes: Buffer): unknown {
  const tag = bytes[0];
  if (tag === TAG_UNDEFINED) return undefined;
  if (tag === TAG_JSON) return JSON.parse(bytes.toString('utf8', 1));
  if (tag === TAG_V8) return deserialize(bytes.subarray(1));
  throw new Error(`unknown value tag ${String(tag)}`);
}
