import { once } from 'node:events';
import type { Writable } from 'node:stream';

/**
 * Writes result lines and reports backpressure instead of buffering without end: after a
 * `write` that fills the stream's buffer, `blocked` is true until the stream drains. The driver
 * stops taking input while blocked, so at most its window of lines ever waits here.
 */
export class LineWriter {
  readonly #stream: Writable;
  #blocked = false;
  #failed: Error | undefined;
  readonly #onChange: () => void;

  /** `onChange` is called when `blocked` turns false or the stream fails. */
  constructor(stream: Writable, onChange: () => void) {
    this.#stream = stream;
    this.#onChange = onChange;
    stream.on('drain', () => {
      this.#blocked = false;
      onChange();
    });
    stream.on('error', (error: Error) => {
      this.#failed ??= error;
      this.#blocked = false;
      onChange();
    });
  }

  get blocked(): boolean {
    return this.#blocked;
  }

  /** The stream's error (EPIPE when the reader went away, ENOSPC, ...), if it failed. */
  get failed(): Error | undefined {
    return this.#failed;
  }

  write(line: string): void {
    if (this.#failed) return;
    if (!this.#stream.write(line)) this.#blocked = true;
  }

  /** Flushes and, for a file, closes. stdout/stderr are only flushed (Node never closes them). */
  async end(): Promise<void> {
    if (this.#failed || this.#stream.writableFinished) return;
    const stream = this.#stream;
    if (stream === process.stdout || stream === process.stderr) {
      if (stream.writableNeedDrain) await Promise.race([once(stream, 'drain'), once(stream, 'error')]).catch(() => undefined);
      return;
    }
    const finished = Promise.race([once(stream, 'finish'), once(stream, 'error')]);
    stream.end();
    await finished.catch(() => undefined);
    this.#onChange();
  }
}
