import { encodeValueParts } from '../channel/codec.js';
import { InvalidOptionError, MessageTooLargeError } from '../errors.js';

/**
 * `run(job, { transfer: [job.buffer] })`: the caller hands a binary job's memory over, as with
 * postMessage's transfer list. The caller's ArrayBuffer is detached, so it can no longer change
 * the bytes, and the pool writes them as they are: no snapshot copy at `run()` (for 1 MiB jobs
 * queued by the hundred, the copy into fresh memory is most of the parent's work).
 *
 * Only a job that is a Buffer or Uint8Array over the one listed ArrayBuffer is taken: any other
 * value is serialized (copied) anyway, and detaching buffers inside it would change what a worker
 * receives (structuredClone turns a Buffer into a plain Uint8Array).
 *
 * Returns the error to reject the run with (ERR_INVALID_OPTION, or ERR_MESSAGE_TOO_LARGE), all
 * of it known before anything is detached.
 */
export function checkTransfer(input: unknown, transfer: unknown, maxMessageSize: number): InvalidOptionError | MessageTooLargeError | undefined {
  if (transfer === undefined) return undefined;
  if (!Array.isArray(transfer) || transfer.length !== 1 || !(transfer[0] instanceof ArrayBuffer)) {
    return new InvalidOptionError('transfer', 'expected [job.buffer]: an array holding the one ArrayBuffer of a Buffer or Uint8Array job.');
  }
  if (!(input instanceof Uint8Array) || (!Buffer.isBuffer(input) && input.constructor !== Uint8Array) || input.buffer !== transfer[0]) {
    return new InvalidOptionError('transfer', "expected a job that is a Buffer or Uint8Array over the listed ArrayBuffer (other values are serialized, that is copied, anyway); got a job that is not.");
  }
  if (transfer[0].byteLength === 0) {
    return new InvalidOptionError('transfer', 'the listed ArrayBuffer is empty or already detached (handed over by an earlier run() or postMessage).');
  }
  // The job's bytes after their two tag bytes (see encodeValueParts).
  const size = input.byteLength + 2;
  if (size > maxMessageSize) return new MessageTooLargeError('job', size, maxMessageSize);
  return undefined;
}

/** The payload parts (tag head, then the bytes themselves) of a checked transfer; detaches the caller's ArrayBuffer. */
export function takeTransferred(input: Uint8Array): [Buffer] | [Buffer, Uint8Array] {
  const buffer = input.buffer as ArrayBuffer;
  // Read before the transfer: it detaches `input` too (its length then reads 0).
  const { byteOffset, byteLength } = input;
  let moved: ArrayBuffer;
  try {
    moved = structuredClone(buffer, { transfer: [buffer] });
  } catch (error) {
    // Nothing was detached: the caller still has its bytes.
    throw new InvalidOptionError(
      'transfer',
      `the job's memory cannot be handed over (${(error as Error).message}); a small Buffer from Buffer.from() or Buffer.allocUnsafe() lives in Node's shared pool: use Buffer.alloc(), or drop transfer.`,
    );
  }
  const view = Buffer.isBuffer(input) ? Buffer.from(moved, byteOffset, byteLength) : new Uint8Array(moved, byteOffset, byteLength);
  return encodeValueParts(view);
}
