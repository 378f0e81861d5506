import { SingleBar, type Options, type Params } from 'cli-progress';
import { compactValue } from './progress-value.js';
import { formatRate } from './summary.js';
import { TerminalLine } from './terminal-line.js';

const BAR_WIDTH = 24;

export interface Progress {
  /** The number of jobs, once known (e.g. after counting the lines of --input). */
  setTotal(total: number): void;
  update(done: number, failed: number): void;
  /** Job `index` reported `value` (--progress): the line shows it until that job settles or another reports. */
  latest(index: number, value: unknown): void;
  /** Job `index` settled: its progress value, if shown, goes. */
  settled(index: number): void;
  /** Removes the bar, so the summary line is printed on a clean line. */
  stop(): void;
}

/**
 * Draws `[####----] 120/500 | 85.3 jobs/s | ETA 4s | 2 failed`; without a total: `120 jobs | 85.3 jobs/s | 2 failed`.
 * With a running job's latest progress value (--progress): `... | 2 failed | job 7: {"step":3}`.
 */
export function renderProgress(
  params: Pick<Params, 'value' | 'total' | 'startTime' | 'eta'>,
  failed: number,
  totalKnown: boolean,
  now = Date.now(),
  latest?: { index: number; text: string },
): string {
  const seconds = (now - params.startTime) / 1000;
  const rate = formatRate(seconds > 0 ? params.value / seconds : 0);
  const failures = `${failed} failed${latest ? ` | job ${latest.index}: ${latest.text}` : ''}`;
  if (!totalKnown) return `${params.value} jobs | ${rate} jobs/s | ${failures}`;
  const filled = params.total > 0 ? Math.min(BAR_WIDTH, Math.round((params.value / params.total) * BAR_WIDTH)) : 0;
  const bar = `${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}`;
  const eta = Number.isFinite(params.eta) ? `${Math.max(0, Math.round(params.eta))}s` : '?';
  return `[${bar}] ${params.value}/${params.total} | ${rate} jobs/s | ETA ${eta} | ${failures}`;
}

/**
 * A redrawing progress line on a terminal (cli-progress throttles redraws to `fps`). Until
 * `stop()`, every other write to `stream` (worker output forwarded by the pool, the CLI's
 * messages) goes through a TerminalLine, so it lands on its own lines with the bar below it.
 */
export function createProgress(stream: NodeJS.WriteStream): Progress {
  let failed = 0;
  let totalKnown = false;
  let latest: { index: number; text: string } | undefined;
  const ownWrite = stream.write;
  const hadOwnWrite = Object.hasOwn(stream, 'write');
  const line = new TerminalLine(ownWrite.bind(stream) as (chunk: string | Uint8Array, ...rest: any[]) => boolean);
  // What cli-progress draws on: the terminal's size, and writes that the TerminalLine may hold back.
  const barStream = {
    isTTY: true,
    get columns() {
      return stream.columns;
    },
    write: (data: string) => line.drawStatus(data),
  } as unknown as NodeJS.WritableStream;
  const options: Options = {
    stream: barStream,
    fps: 10,
    hideCursor: true,
    clearOnComplete: true,
    // A total unknown for now (reading stdin) is not "complete".
    stopOnComplete: false,
    format: (_options, params) => {
      const text = renderProgress(params, failed, totalKnown, Date.now(), latest);
      line.status = text;
      return text;
    },
  };
  const bar = new SingleBar(options);
  stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => line.write(chunk, ...rest)) as typeof stream.write;
  bar.start(0, 0);
  return {
    setTotal(total) {
      totalKnown = true;
      bar.setTotal(total);
    },
    update(done, failedNow) {
      failed = failedNow;
      bar.update(done + failedNow);
    },
    latest(index, value) {
      // Formatted now, so the value itself is not kept; the next frame (10 per second) shows it.
      latest = { index, text: compactValue(value) };
    },
    settled(index) {
      if (latest?.index === index) latest = undefined;
    },
    stop() {
      bar.stop();
      line.close();
      if (hadOwnWrite) stream.write = ownWrite;
      else delete (stream as { write?: unknown }).write;
    },
  };
}
