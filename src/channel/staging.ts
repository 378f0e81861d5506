/** Buffers bigger than this are not kept for reuse: a rare huge result should not pin its memory. */
const MAX_POOLED_BYTES = 16 * 1024 * 1024;
/** How many free buffers are kept. */
const MAX_FREE = 4;
const MIN_SIZE = 64 * 1024;

/**
 * Reusable buffers for bytes that must be copied before they are written (a work function's own
 * result buffer, which it may change once it has returned; a caller's job, snapshotted at run()).
 * Fresh memory costs a page fault per 4 KiB on first touch, which for 1 MiB costs more than the
 * copy itself (several times more on a virtual machine); a buffer given back once its bytes are
 * no longer needed costs none.
 */
export class StagingBuffers {
  readonly #free: Buffer[] = [];
  readonly #roundUp: boolean;

  /**
   * `roundUp` sizes new buffers in powers of two, so that payloads of similar sizes fit in one
   * another's buffers; without it they are sized exactly (for buffers that may wait in a queue
   * in numbers, where doubling their memory would cost more than a missed reuse).
   */
  constructor({ roundUp = true }: { roundUp?: boolean } = {}) {
    this.#roundUp = roundUp;
  }

  /** A buffer holding `parts` one after the other, and the function that gives it back. */
  copy(parts: readonly Uint8Array[], length: number): { bytes: Buffer; release: () => void } {
    const buffer = this.#take(length);
    let offset = 0;
    for (const part of parts) {
      buffer.set(part, offset);
      offset += part.byteLength;
    }
    return { bytes: buffer.subarray(0, length), release: () => this.#give(buffer) };
  }

  #take(length: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const size = (this.#free[i] as Buffer).length;
      if (size >= length && (best === -1 || size < (this.#free[best] as Buffer).length)) best = i;
    }
    if (best !== -1) return this.#free.splice(best, 1)[0] as Buffer;
    if (!this.#roundUp) return Buffer.allocUnsafeSlow(length);
    const size = length <= MIN_SIZE ? MIN_SIZE : 2 ** Math.ceil(Math.log2(length));
    return Buffer.allocUnsafeSlow(size > MAX_POOLED_BYTES ? length : size);
  }

  #give(buffer: Buffer): void {
    if (buffer.length > MAX_POOLED_BYTES) return;
    if (this.#free.length >= MAX_FREE) {
      // Keep the biggest ones: they fit everything the smaller ones do.
      let smallest = 0;
      for (let i = 1; i < this.#free.length; i++) if ((this.#free[i] as Buffer).length < (this.#free[smallest] as Buffer).length) smallest = i;
      if ((this.#free[smallest] as Buffer).length >= buffer.length) return;
      this.#free.splice(smallest, 1);
    }
    this.#free.push(buffer);
  }
}
