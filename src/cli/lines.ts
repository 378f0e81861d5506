import { isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { BadInputError } from './errors.js';

/** The default of `--max-line-bytes`: far above any sane job, far below V8's string limit (~512 MiB). */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** One input line: a parsed job, or the reason it could not be parsed. */
export type SourceItem = { index: number; job: unknown } | { index: number; error: Error };

/**
 * A line: its text when it is known to be valid UTF-8, else its bytes (to be checked), or only
 * its length when it was longer than the limit (its bytes were dropped as they came).
 */
export type RawLine = string | { bytes: Buffer } | { overlong: number };

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines, pulling one chunk at a time: while the consumer does not ask
 * for the next line, the stream stays paused, so memory is bounded by one chunk plus one line of
 * at most `maxLineBytes`. A longer line is skipped to its newline without being kept, so a
 * multi-gigabyte line costs no memory and the lines after it are still read. Bytes, not text:
 * a chunk is decoded only once it is known to be valid UTF-8, so an invalid sequence is caught
 * (see readJobs), never replaced by U+FFFD.
 */
export async function* readLines(input: Readable, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<RawLine, void, undefined> {
  let parts: Buffer[] = [];
  let length = 0;
  let overlong = false;
  const take = (piece: Buffer): void => {
    length += piece.length;
    if (overlong) return;
    if (length > maxLineBytes) {
      overlong = true;
      parts = [];
    } else if (piece.length > 0) {
      parts.push(piece);
    }
  };
  const end = (): RawLine => {
    const line: RawLine = overlong ? { overlong: length } : { bytes: parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length) };
    parts = [];
    length = 0;
    overlong = false;
    return line;
  };
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    let start = 0;
    let newline = bytes.indexOf(NEWLINE);
    if (newline !== -1) {
      // The first line may continue one begun in earlier chunks.
      take(bytes.subarray(0, newline));
      yield end();
      start = newline + 1;
    }
    const last = bytes.lastIndexOf(NEWLINE);
    if (last >= start) {
      // The whole lines in between: decoded at once when valid and short enough (the common
      // case: one native check and one split per chunk instead of per line).
      const region = bytes.subarray(start, last);
      if (region.length <= maxLineBytes && isUtf8(region)) {
        for (const text of region.toString('utf8').split('\n')) yield text;
      } else {
        for (newline = bytes.indexOf(NEWLINE, start); newline !== -1 && newline <= last; newline = bytes.indexOf(NEWLINE, start)) {
          take(bytes.subarray(start, newline));
          yield end();
          start = newline + 1;
        }
      }
      start = last + 1;
    }
    // Copied: a slice would keep the whole chunk alive for the sake of a few bytes.
    if (start < bytes.length) take(Buffer.from(bytes.subarray(start)));
  }
  if (length > 0) yield end();
}

/** The line's text, or the error line it becomes. */
function decode(line: RawLine, maxLineBytes: number): string | BadInputError {
  if (typeof line === 'string') return line;
  if ('overlong' in line) return BadInputError.tooLong(line.overlong, maxLineBytes);
  // Checked first: toString() would silently turn bad bytes into U+FFFD.
  if (!isUtf8(line.bytes)) return BadInputError.notUtf8(firstInvalidByte(line.bytes));
  return line.bytes.toString('utf8');
}

/** The offset of the first byte that does not decode (for the message: where to look). */
function firstInvalidByte(bytes: Buffer): number {
  let low = 0;
  let high = bytes.length;
  // The longest valid prefix, found by bisection (a prefix may end mid-character: fatal either way).
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid), { stream: true });
      low = mid;
    } catch {
      high = mid - 1;
    }
  }
  // The prefix may end with the start of the bad sequence (a lead byte, maybe continuations).
  let offset = low;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, low));
  } catch {
    offset--;
    while (offset > 0 && ((bytes[offset] as number) & 0xc0) === 0x80) offset--;
  }
  return offset;
}

/**
 * Jobs from JSON lines. `index` is the 0-based line number; blank lines are skipped but
 * counted, so indexes match the input file's lines. A line that is too long, not UTF-8 or not
 * JSON becomes an ERR_BAD_INPUT item, and the lines after it are read as usual.
 */
export async function* readJobs(input: Readable, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<SourceItem, void, undefined> {
  let index = -1;
  for await (const line of readLines(input, maxLineBytes)) {
    index++;
    const decoded = decode(line, maxLineBytes);
    if (typeof decoded !== 'string') {
      yield { index, error: decoded };
      continue;
    }
    const text = decoded.trim();
    if (text === '') continue;
    try {
      yield { index, job: JSON.parse(text) as unknown };
    } catch (error) {
      yield { index, error: new BadInputError((error as Error).message) };
    }
  }
}

/** How many jobs (non-blank lines, bad ones included) a stream holds: for the progress bar's total. */
export async function countJobs(input: Readable, maxLineBytes = DEFAULT_MAX_LINE_BYTES): Promise<number> {
  let count = 0;
  for await (const line of readLines(input, maxLineBytes)) {
    if ((typeof line !== 'string' && 'overlong' in line) || (typeof line === 'string' ? line.trim() !== '' : line.bytes.some((byte) => byte !== 0x20 && byte !== 0x09 && byte !== 0x0d))) count++;
  }
  return count;
}
