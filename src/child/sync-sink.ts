import { writeSync } from 'node:fs';

/**
 * The child's side of its answer channel (fd 4), written with blocking writes.
 *
 * Every frame is in the kernel when `write` returns, so nothing a child finished can be lost
 * in a user-space queue when it exits: the `exit` handler flushes the last batch and says which
 * job was running (see runtime.ts). The fd is never wrapped in a net.Socket, which would make it
 * non-blocking; the child reads its jobs from a separate fd (3), so a blocking write can never
 * stall a read.
 */
export class SyncFdSink {
  readonly #fd: number;
  readonly #onBroken: () => void;
  #destroyed = false;
  /** The chunk being written and how far: a write re-entered from the exit path finishes it first. */
  #current: { chunk: Uint8Array; offset: number } | undefined;

  /** `onBroken` runs once the parent has closed its end (EPIPE): nobody can read answers now. */
  constructor(fd: number, onBroken: () => void) {
    this.#fd = fd;
    this.#onBroken = onBroken;
  }

  /** Writes all of `chunk`; false once the parent is gone (this write or an earlier one failed). */
  write(chunk: Uint8Array): boolean {
    if (this.#destroyed) return false;
    try {
      // process.exit() can run the exit handlers in the middle of a write (a hook on it, a
      // signal): the interrupted chunk goes out whole before the goodbye frames.
      const interrupted = this.#current;
      if (interrupted) this.#writeAll(interrupted);
      this.#writeAll({ chunk, offset: 0 });
    } catch {
      this.#destroyed = true;
      this.#onBroken();
      return false;
    }
    return true;
  }

  #writeAll(current: { chunk: Uint8Array; offset: number }): void {
    this.#current = current;
    while (current.offset < current.chunk.byteLength) current.offset += this.#writeSome(current.chunk, current.offset);
    this.#current = undefined;
  }

  #writeSome(chunk: Uint8Array, offset: number): number {
    try {
      return writeSync(this.#fd, chunk, offset, chunk.byteLength - offset);
    } catch (error) {
      // The fd is blocking unless something made it non-blocking; then wait a little and retry
      // rather than drop an answer.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(PAUSE, 0, 0, 1);
      return 0;
    }
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));
