import type { Readable } from 'node:stream';
import { BadInputError } from './errors.js';

/** One input line: a parsed job, or the reason it could not be parsed. */
export type SourceItem = { index: number; job: unknown } | { index: number; error: Error };

/**
 * Splits a stream into lines, pulling one chunk at a time: while the consumer does not ask for
 * the next line, the stream stays paused, so memory is bounded by one chunk plus one line.
 * (A hand-written splitter over the stream's own async iterator, rather than readline, keeps
 * this pull-based behaviour obvious.)
 */
export async function* readLines(input: Readable): AsyncGenerator<string, void, undefined> {
  input.setEncoding('utf8');
  let rest = '';
  for await (const chunk of input as AsyncIterable<string>) {
    let start = 0;
    let newline = chunk.indexOf('\n');
    while (newline !== -1) {
      const line = chunk.slice(start, newline);
      yield rest === '' ? line : rest + line;
      rest = '';
      start = newline + 1;
      newline = chunk.indexOf('\n', start);
    }
    rest += chunk.slice(start);
  }
  if (rest !== '') yield rest;
}

/**
 * Jobs from JSON lines. `index` is the 0-based line number; blank lines are skipped but
 * counted, so indexes match the input file's lines.
 */
export async function* readJobs(input: Readable): AsyncGenerator<SourceItem, void, undefined> {
  let index = -1;
  for await (const line of readLines(input)) {
    index++;
    const text = line.trim();
    if (text === '') continue;
    try {
      yield { index, job: JSON.parse(text) as unknown };
    } catch (error) {
      yield { index, error: new BadInputError((error as Error).message) };
    }
  }
}

/** How many jobs (non-blank lines) a stream holds: for the progress bar's total. */
export async function countJobs(input: Readable): Promise<number> {
  let count = 0;
  for await (const line of readLines(input)) if (line.trim() !== '') count++;
  return count;
}
