import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { isAbsolute, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { UsageError } from './errors.js';

/** The worker module's absolute path, checked before any process starts. */
export function resolveWorkerPath(worker: string): string {
  const path = worker.startsWith('file:') ? fileURLToPath(worker) : isAbsolute(worker) ? worker : resolve(worker);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    // reported below
  }
  if (!isFile) {
    throw new UsageError(
      `Cannot find the worker module "${worker}" (looked for ${path}). Pass the path of a JavaScript module whose default export is work(job, ctx), e.g. "forkpool run ./worker.mjs".`,
    );
  }
  return path;
}

/** `--input FILE` opened (a missing file or a directory is a usage error), or stdin. */
export async function openInput(path: string | undefined): Promise<Readable> {
  if (path === undefined || path === '-') return process.stdin;
  let directory = false;
  try {
    directory = statSync(path).isDirectory();
  } catch {
    // the open below reports it
  }
  if (directory) throw new UsageError(`--input ${path} is a directory: pass a file of JSON lines, or omit --input to read stdin.`);
  const stream = createReadStream(path);
  await opened(stream, `Cannot read --input ${path}`, 'pass an existing file of JSON lines, or omit --input to read stdin');
  return stream;
}

/** `--output FILE` created (or truncated), or stdout. */
export async function openOutput(path: string | undefined): Promise<Writable> {
  if (path === undefined || path === '-') return process.stdout;
  const stream = createWriteStream(path);
  await opened(stream, `Cannot write --output ${path}`, 'pass a path in an existing, writable directory, or omit --output to write stdout');
  return stream;
}

async function opened(stream: Readable | Writable, what: string, fix: string): Promise<void> {
  try {
    await once(stream, 'open');
  } catch (error) {
    throw new UsageError(`${what}: ${(error as Error).message}. Fix: ${fix}.`, { cause: error });
  }
}
