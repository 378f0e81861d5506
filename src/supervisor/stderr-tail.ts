/** Keeps the last few KiB a worker wrote to stderr, for crash reports. */
export class StderrTail {
  #chunks: Buffer[] = [];
  #size = 0;
  readonly #limit: number;
  readonly #lines: number;

  constructor(limitBytes = 8192, lines = 20) {
    this.#limit = limitBytes;
    this.#lines = lines;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#size += chunk.length;
    while (this.#size - (this.#chunks[0]?.length ?? 0) >= this.#limit && this.#chunks.length > 1) {
      this.#size -= (this.#chunks.shift() as Buffer).length;
    }
  }

  /** The last `lines` lines, trimmed. */
  text(): string {
    if (this.#size === 0) return '';
    const all = Buffer.concat(this.#chunks).toString('utf8');
    return all.trimEnd().split('\n').slice(-this.#lines).join('\n');
  }
}
