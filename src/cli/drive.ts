import type { Writable } from 'node:stream';
import type { SourceItem } from './lines.js';
import { errorLine, valueLine, type ResultLine } from './result-line.js';
import type { Runner } from './runner.js';
import { LineWriter } from './writer.js';

export interface DriveOptions {
  /** Parsed input lines, pulled one at a time (never read ahead beyond the limits below). */
  source: AsyncIterable<SourceItem>;
  runner: Runner;
  output: Writable;
  /** Write results in input order (a reorder window) instead of completion order. */
  ordered: boolean;
  /**
   * Jobs handed to the runner and not settled (what a graceful stop still waits for): about
   * `targetMs` of work at the rate seen so far, within [min, max]. Tiny jobs get many in flight
   * (no idle round trips); long jobs get one per worker (Ctrl-C waits only for running ones).
   */
  inFlight: { min: number; max: number; targetMs: number };
  /** Most lines read and not yet written (with `ordered`, the reorder window). */
  window: number;
  /** Aborting it stops reading input; jobs already handed to the runner finish and are written. */
  stop: AbortSignal;
  /** Called as each job settles (progress display), with the job's input line index. */
  onSettled?: (done: number, failed: number, index: number) => void;
  /** Called with each `ctx.progress` value of a running job (--progress); the runner is asked for them only when set. */
  onProgress?: (index: number, value: unknown) => void;
}

export interface DriveResult {
  done: number;
  failed: number;
  elapsedMs: number;
  /** The first fatal runner error (see Runner.isFatal), if any. */
  fatal: unknown;
  /** Reading the input failed mid-way. */
  inputError: Error | undefined;
  /** Writing results failed (EPIPE, ENOSPC, ...). */
  outputError: Error | undefined;
}

/**
 * Moves jobs from a source through a runner to an output with bounded memory: it reads a line
 * only while fewer than the in-flight limit are running, fewer than `window` lines are unwritten
 * and the output is not pushing back. With `ordered`, finished lines wait in a reorder buffer
 * (at most `window` of them) until every earlier line has been written.
 */
export class JobStream {
  readonly #options: DriveOptions;
  readonly #writer: LineWriter;
  /** Finished lines waiting for an earlier one (ordered mode), by sequence number. */
  readonly #reorder = new Map<number, string>();
  #nextSeq = 0;
  #nextToWrite = 0;
  #inFlight = 0;
  #unwritten = 0;
  #done = 0;
  #failed = 0;
  #fatal: unknown;
  #started = 0;
  #abandonRead: (() => void) | undefined;
  #waiter: { ready: () => boolean; resolve: () => void } | undefined;

  constructor(options: DriveOptions) {
    this.#options = options;
    this.#writer = new LineWriter(options.output, () => this.#wake());
    options.stop.addEventListener('abort', () => this.#wake(), { once: true });
  }

  /** Stop reading: on Ctrl-C, a fatal runner error, or an output that cannot be written. */
  get #stopping(): boolean {
    return this.#options.stop.aborted || this.#fatal !== undefined || this.#writer.failed !== undefined;
  }

  #hasRoom(): boolean {
    return this.#inFlight < this.#inFlightLimit() && this.#unwritten < this.#options.window && !this.#writer.blocked;
  }

  #inFlightLimit(): number {
    const { min, max, targetMs } = this.#options.inFlight;
    const elapsed = performance.now() - this.#started;
    const rate = elapsed > 0 ? (this.#done + this.#failed) / elapsed : 0;
    return Math.min(max, Math.max(min, Math.round(rate * targetMs)));
  }

  async run(): Promise<DriveResult> {
    this.#started = performance.now();
    let inputError: Error | undefined;
    try {
      await this.#readAll();
    } catch (error) {
      inputError = error as Error;
    }
    const { runner } = this.#options;
    // Graceful from here on: accepted jobs finish; idle workers can already exit.
    const closed = runner.close({ force: this.#writer.failed !== undefined });
    await this.#until(() => this.#unwritten === 0);
    await closed;
    await this.#writer.end();
    return {
      done: this.#done,
      failed: this.#failed,
      elapsedMs: performance.now() - this.#started,
      fatal: this.#fatal,
      inputError,
      outputError: this.#writer.failed,
    };
  }

  async #readAll(): Promise<void> {
    const iterator = this.#options.source[Symbol.asyncIterator]();
    for (;;) {
      await this.#until(() => this.#stopping || this.#hasRoom());
      if (this.#stopping) return;
      const step = await this.#read(iterator);
      if (step === 'stop' || step.done) return;
      this.#start(step.value);
    }
  }

  /**
   * The next item, or 'stop' as soon as a stop is requested: a read can block forever (a
   * terminal, an idle pipe). The caller destroys the input afterwards, which settles the
   * abandoned read. (Not `Promise.race` with one long-lived stop promise: every race would
   * leave a reaction on it, holding each item for the whole run.)
   */
  #read(iterator: AsyncIterator<SourceItem>): Promise<IteratorResult<SourceItem> | 'stop'> {
    const next = iterator.next();
    return new Promise((resolve, reject) => {
      this.#abandonRead = () => {
        next.catch(() => undefined);
        resolve('stop');
      };
      next.then(resolve, reject);
    }).finally(() => {
      this.#abandonRead = undefined;
    }) as Promise<IteratorResult<SourceItem> | 'stop'>;
  }

  #start(item: SourceItem): void {
    const seq = this.#nextSeq++;
    this.#unwritten++;
    if ('error' in item) {
      this.#complete(seq, errorLine(item.index, item.error), item.index);
      return;
    }
    this.#inFlight++;
    let result: Promise<unknown>;
    try {
      const { onProgress } = this.#options;
      result = this.#options.runner.run(item.job, onProgress ? (value) => onProgress(item.index, value) : undefined);
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (value) => {
        this.#inFlight--;
        this.#complete(seq, valueLine(item.index, value), item.index);
      },
      (error: unknown) => {
        this.#inFlight--;
        if (this.#fatal === undefined && this.#options.runner.isFatal(error)) this.#fatal = error;
        this.#complete(seq, errorLine(item.index, error), item.index);
      },
    );
  }

  #complete(seq: number, result: ResultLine, index: number): void {
    if (result.ok) this.#done++;
    else this.#failed++;
    this.#options.onSettled?.(this.#done, this.#failed, index);
    if (!this.#options.ordered) {
      this.#write(result.line);
    } else {
      this.#reorder.set(seq, result.line);
      for (let line = this.#reorder.get(this.#nextToWrite); line !== undefined; line = this.#reorder.get(this.#nextToWrite)) {
        this.#reorder.delete(this.#nextToWrite++);
        this.#write(line);
      }
    }
    this.#wake();
  }

  #write(line: string): void {
    this.#unwritten--;
    this.#writer.write(line);
  }

  #until(ready: () => boolean): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiter = { ready, resolve };
    });
  }

  #wake(): void {
    if (this.#stopping) this.#abandonRead?.();
    const waiter = this.#waiter;
    if (waiter?.ready()) {
      this.#waiter = undefined;
      waiter.resolve();
    }
  }
}
