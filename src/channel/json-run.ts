import { ProtocolError } from '../errors.js';

/**
 * A run frame carries many small JSON values at once (a worker's answers to tiny jobs): the
 * header's id is the count n, the payload is the UTF-8 text of a JSON array of the n values, then
 * n u32 LE ids (the jobs they answer, in order). One header, one UTF-8 decode and one JSON.parse
 * for a whole batch, where a frame per value costs each of them per value.
 */

export const RUN_OPEN = 0x5b; // [
export const RUN_SEPARATOR = 0x2c; // ,
export const RUN_CLOSE = 0x5d; // ]
export const RUN_ID_BYTES = 4;
/** Values per run at most (a writer starts a new run after this many). */
export const MAX_RUN = 1024;
/** A run's payload bytes at most, whatever the message limit (the reader refuses longer run frames at their header). */
export const MAX_RUN_BYTES = 256 * 1024;

/**
 * The values of a run frame (`count` from its header), in order: value i answers `runIdAt(payload, count, i)`.
 * Throws ERR_PROTOCOL for bytes that are not a run of `count` values: only a broken or hostile
 * worker sends such a frame, and no single job can be blamed for it.
 */
export function decodeRun(payload: Buffer, count: number): unknown[] {
  const idsAt = payload.length - count * RUN_ID_BYTES;
  if (count < 1 || count > MAX_RUN || idsAt < 2) throw new ProtocolError(`A run frame of ${payload.length} bytes cannot hold ${count} values.`);
  let values: unknown;
  try {
    values = JSON.parse(payload.toString('utf8', 0, idsAt));
  } catch (error) {
    throw new ProtocolError(`A run frame could not be decoded: ${(error as Error).message}`);
  }
  if (!Array.isArray(values) || values.length !== count) throw new ProtocolError(`A run frame said ${count} values and held ${Array.isArray(values) ? values.length : 'no array of'} them.`);
  return values;
}

/** The id of the `index`th value of a run frame whose header said `count`. */
export function runIdAt(payload: Buffer, count: number, index: number): number {
  return payload.readUInt32LE(payload.length - (count - index) * RUN_ID_BYTES);
}
