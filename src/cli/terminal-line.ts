/** Erases the line the cursor is on and returns to its start. */
const ERASE_LINE = '\r\x1b[2K';
/** Cursor show/hide and line-wrap toggles: they move nothing, so they always go through. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences start with ESC
const MODE_ONLY = /^(?:\x1b\[\?\d+[hl])+$/;

type Write = (chunk: string | Uint8Array, ...rest: any[]) => boolean;

/**
 * Keeps a redrawn status line (the progress bar) off the other output of the same terminal.
 * Everything else written to the stream (worker output forwarded by the pool, the CLI's own
 * messages) goes through `write()`: the status line is erased first and drawn again below once
 * that output has ended its line. While a line is left unfinished (a worker printed no newline
 * yet), the status line is not drawn at all, so it never lands in the middle of someone's text.
 */
export class TerminalLine {
  readonly #write: Write;
  /** What the status line shows now, drawn or not. */
  #status = '';
  #shown = false;
  /** The last foreign output ended with a newline (or there was none yet). */
  #atLineStart = true;

  constructor(write: Write) {
    this.#write = write;
  }

  /** The status line's new text (the bar's renderer calls it with every frame). */
  set status(text: string) {
    this.#status = text;
  }

  /** Bytes the status line's own drawing code writes (cursor moves, the frame, clear-right). */
  drawStatus(data: string): boolean {
    if (MODE_ONLY.test(data)) return this.#write(data);
    if (!this.#atLineStart) return true; // drawn again once the foreign line ends
    this.#shown = true;
    return this.#write(data);
  }

  /** Foreign output: lands on a clean line, with the status line redrawn below it. */
  write(chunk: string | Uint8Array, ...rest: unknown[]): boolean {
    if (this.#shown) {
      this.#write(ERASE_LINE);
      this.#shown = false;
    }
    const result = this.#write(chunk, ...rest);
    if (chunk.length > 0) this.#atLineStart = lastByte(chunk) === 0x0a;
    if (this.#atLineStart && this.#status !== '') {
      this.#write(this.#status);
      this.#shown = true;
    }
    return result;
  }

  /** The status line goes away for good: erased, and an unfinished foreign line is ended. */
  close(): void {
    if (this.#shown) this.#write(ERASE_LINE);
    this.#shown = false;
    this.#status = '';
    if (!this.#atLineStart) this.#write('\n');
    this.#atLineStart = true;
  }
}

function lastByte(chunk: string | Uint8Array): number {
  return typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : (chunk[chunk.length - 1] as number);
}
