import { createReadStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { installSignalHandlers } from '../signals.js';
import { JobStream } from './drive.js';
import { EXIT } from './exit-codes.js';
import { countJobs, DEFAULT_MAX_LINE_BYTES, readJobs } from './lines.js';
import { createProgress, type Progress } from './progress.js';
import { errorMessage } from './result-line.js';
import type { Runner } from './runner.js';
import { summaryLine } from './summary.js';

/** At most this many jobs per unit of concurrency are handed to the runner: enough to keep workers busy with tiny jobs. */
export const IN_FLIGHT_PER_WORKER = 16;
/** Jobs in flight are kept to about this much work, so that Ctrl-C waits for little more than the running jobs. */
const IN_FLIGHT_TARGET_MS = 250;
/** After a second Ctrl-C, the longest wait for the last writes before exiting regardless. */
const FORCED_EXIT_MS = 2000;
/** Lines read and not yet written per unit of concurrency: with --ordered, the reorder window. */
export const WINDOW_PER_WORKER = 64;

export interface SessionOptions {
  runner: Runner;
  input: Readable;
  output: Writable;
  ordered: boolean;
  /** --max-line-bytes. @default DEFAULT_MAX_LINE_BYTES */
  maxLineBytes?: number | undefined;
  /** The --input path, when it is a file: its lines are counted for the progress bar's total. */
  inputPath?: string | undefined;
  /** --progress: the progress line shows the latest `ctx.progress` value of a running job. */
  showProgress?: boolean | undefined;
}

/**
 * One `forkpool run`, whatever runs the jobs: reads JSON lines, drives the runner, writes
 * result lines, shows progress on a terminal, prints the summary line and returns the exit code.
 * Ctrl-C once stops reading (running jobs finish and are written), twice stops at once.
 */
export async function runSession(options: SessionOptions): Promise<number> {
  const { runner, input, output } = options;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const stderr = process.stderr;
  const stop = new AbortController();
  const removeSignalHandlers = installSignalHandlers(
    () => {
      stderr.write('\nforkpool: stopping: no more input is read; running jobs finish (Ctrl-C again to stop at once).\n');
      stop.abort();
    },
    () => {
      stderr.write('\nforkpool: stopping now.\n');
      void runner.close({ force: true });
      // Should a stalled reader of stdout keep the final flush pending, leave anyway.
      setTimeout(() => process.exit(EXIT.INTERRUPTED), FORCED_EXIT_MS).unref();
    },
  );
  if (input === process.stdin && process.stdin.isTTY) {
    stderr.write('forkpool: reading jobs from the terminal, one JSON value per line; end with Ctrl-D.\n');
  }
  const progress = wantsProgress(output) ? createProgress(stderr) : undefined;
  if (progress && options.inputPath !== undefined) countTotal(options.inputPath, progress, maxLineBytes);
  const concurrency = Math.max(1, runner.concurrency);
  const stream = new JobStream({
    source: readJobs(input, maxLineBytes),
    runner,
    output,
    ordered: options.ordered,
    inFlight: { min: concurrency, max: concurrency * IN_FLIGHT_PER_WORKER, targetMs: IN_FLIGHT_TARGET_MS },
    window: concurrency * WINDOW_PER_WORKER,
    stop: stop.signal,
    onSettled: progress
      ? (done, failed, index) => {
          progress.settled(index);
          progress.update(done, failed);
        }
      : undefined,
    // Asked for only when shown: without it, jobs report no progress through the pool at all.
    onProgress: progress && options.showProgress ? (index, value) => progress.latest(index, value) : undefined,
  });
  const result = await stream.run();
  removeSignalHandlers();
  // Unblocks a read abandoned by a stop (a terminal or an idle pipe would keep it pending).
  input.destroy();
  progress?.stop();
  stderr.write(summaryLine(result.done, result.failed, result.elapsedMs));

  if (result.fatal !== undefined) {
    stderr.write(`forkpool: ${errorMessage(result.fatal)}\nFix the worker module (it must load and default-export work(job, ctx); init(initData) must not throw), then run again.\n`);
    return EXIT.USAGE;
  }
  if (result.inputError) stderr.write(`forkpool: reading the input failed: ${result.inputError.message}\n`);
  // EPIPE: the reader (e.g. `| head`) went away on purpose; say nothing more.
  if (result.outputError && (result.outputError as NodeJS.ErrnoException).code !== 'EPIPE') {
    stderr.write(`forkpool: writing results failed: ${result.outputError.message}\n`);
  }
  if (stop.signal.aborted) return EXIT.INTERRUPTED;
  if (result.failed > 0 || result.inputError || result.outputError) return EXIT.FAILED;
  return EXIT.OK;
}

/** Progress only on a terminal, and not when results are printed on that same terminal. */
function wantsProgress(output: Writable): boolean {
  return process.stderr.isTTY === true && !(output === process.stdout && process.stdout.isTTY);
}

function countTotal(path: string, progress: Progress, maxLineBytes: number): void {
  countJobs(createReadStream(path), maxLineBytes).then(
    (total) => progress.setTotal(total),
    () => undefined, // the run itself reports an unreadable input
  );
}
