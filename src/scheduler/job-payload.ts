import { encodeValue, encodeValueParts, jsonBytes, jsonText } from '../channel/codec.js';
import { StagingBuffers } from '../channel/staging.js';

/** Binary jobs at least this big are snapshotted into reused buffers rather than fresh ones. */
const STAGE_JOBS_FROM = 64 * 1024;

/** A big binary job copied into a reused buffer, and the function that gives the buffer back. */
export interface StagedPayload {
  bytes: Buffer;
  /** Only once no write of it can be pending. */
  release: () => void;
}

/**
 * Serializes jobs once, at submission, so that later mutations by the caller do not leak in.
 * A plain JSON job is kept as text (no Buffer each); a big Buffer/Uint8Array is snapshotted into a
 * reused buffer (fresh memory costs a page fault per 4 KiB, more than the copy itself).
 */
export class JobEncoder {
  readonly #snapshots = new StagingBuffers({ roundUp: false });
  readonly #maxMessageSize: number;

  constructor(maxMessageSize: number) {
    this.#maxMessageSize = maxMessageSize;
  }

  /**
   * JSON text (written straight into the frame batch) or codec bytes of their own; throws what
   * the codec throws for a value it cannot send. Call `stage` first: a job it took is not here.
   */
  encode(input: unknown): Buffer | string {
    const text = jsonText(input);
    if (text === undefined) return encodeValue(input);
    // UTF-8 is at most 3 bytes per UTF-16 unit: only a long text needs its size measured, as bytes.
    return text.length * 3 < this.#maxMessageSize ? text : jsonBytes(text);
  }

  /** A big Buffer/Uint8Array job in a reused buffer; undefined for any other job (the usual case, no allocation). */
  stage(input: unknown): StagedPayload | undefined {
    if (!(input instanceof Uint8Array) || input.byteLength < STAGE_JOBS_FROM) return undefined;
    const parts = encodeValueParts(input);
    if (parts[1] !== input) return undefined;
    return this.#snapshots.copy(parts, parts[0].length + input.byteLength);
  }
}
