import { randomBytes } from 'node:crypto';
import { accessSync, closeSync, constants, existsSync, openSync, readdirSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

/**
 * Big payloads skip the socket. A socketpair's kernel buffer is small, so one megabyte through
 * it costs dozens of wake-ups and reads on each side; written to a file in /dev/shm (memory) it
 * costs one write and one read. The frame then carries only a reference: a tag byte (the codec's
 * `TAG_FILE`), the byte length (u48 LE) and the file's path (UTF-8).
 *
 * The receiver reads the file into an exact-size buffer and unlinks it, then decodes the bytes as
 * if they had come inline. Files are named `forkpool-<writer pid>-<random>` so that leftovers of a
 * process that died can be found: the parent removes its children's at each child's exit, and the
 * files it wrote to a child that never read them.
 */

/** The payload's first byte: "the encoded value is in a file". Re-exported by the codec. */
export const TAG_FILE = 4;

const PREFIX = 'forkpool-';
/** tag + u48 length */
const REF_HEADER = 7;
/** A tracker prunes its list of files (those already read) once it reaches this size, then at each doubling. */
const PRUNE_START = 64;

/**
 * Encoded payloads of at least this many bytes go through a file. Measured (2 cores, echo pool,
 * 2 workers, 4 in flight): at 64–512 KiB a file costs the parent more (create, fill, unlink tmpfs
 * pages) than the socket; from about 1 MiB the child saves more than that (no copy of a binary or
 * v8 result after its tag byte, one read instead of many), and at 4 MiB it halves the child's CPU.
 */
export const SIDE_CHANNEL_MIN_BYTES = readThreshold();

function readThreshold(): number {
  // Undocumented escape hatch (and a knob for measuring): FORKPOOL_SIDE_CHANNEL_MIN=<bytes>; "0" or "off" disables.
  const raw = process.env.FORKPOOL_SIDE_CHANNEL_MIN;
  if (raw === 'off' || raw === '0') return Infinity;
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(value) && value > REF_HEADER ? value : 1024 * 1024;
}

let directory: string | null | undefined;

/** /dev/shm when it is a writable directory, else the temp directory; decided once. */
export function sideChannelDirectory(): string | null {
  if (directory !== undefined) return directory;
  directory = null;
  for (const candidate of ['/dev/shm', tmpdir()]) {
    try {
      if (!statSync(candidate).isDirectory()) continue;
      accessSync(candidate, constants.W_OK | constants.X_OK);
      directory = candidate;
      break;
    } catch {
      // Not there or not writable: try the next one.
    }
  }
  return directory;
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already read (and unlinked) by the peer, or removed by someone else.
  }
}

/** True when `payload` is a reference to a side-channel file rather than the value's bytes. */
export function isSideReference(payload: Buffer): boolean {
  return payload.length > REF_HEADER && payload[0] === TAG_FILE;
}

/**
 * The bytes a reference points to: reads the file whole and unlinks it (also when the read fails).
 * Throws when the file is missing, short, or not a side-channel file.
 */
export function readSideFile(payload: Buffer): Buffer {
  const length = payload.readUIntLE(1, 6);
  const path = payload.toString('utf8', REF_HEADER);
  if (!basename(path).startsWith(PREFIX)) throw new Error(`not a side-channel file: ${path}`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw new Error(`side-channel file ${path} is gone: ${(error as Error).message}`);
  }
  try {
    const bytes = Buffer.allocUnsafe(length);
    let offset = 0;
    while (offset < length) {
      const read = readSync(fd, bytes, offset, length - offset, offset);
      if (read === 0) throw new Error(`side-channel file ${path} holds ${offset} bytes, not ${length}`);
      offset += read;
    }
    return bytes;
  } finally {
    closeSync(fd);
    unlinkQuietly(path);
  }
}

/**
 * What a receiver hands on: the file's bytes for a reference, else the payload itself. Never
 * throws: a reference that cannot be read is passed on unchanged, and decoding it fails (again)
 * where the message is handled, which reports it as that message's error.
 */
export function resolveSidePayload(payload: Buffer): Buffer {
  if (!isSideReference(payload)) return payload;
  try {
    return readSideFile(payload);
  } catch {
    return payload;
  }
}

/** Removes side-channel files written by process `pid` (which has exited) and never read. */
export function removeSideFilesOf(pid: number | undefined): void {
  if (pid === undefined || SIDE_CHANNEL_MIN_BYTES === Infinity) return;
  // The directory the child picked too (same rules), unless its environment points elsewhere.
  const dir = sideChannelDirectory();
  if (!dir) return;
  const prefix = `${PREFIX}${pid}-`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) if (name.startsWith(prefix)) unlinkQuietly(join(dir, name));
}

/** Writes a new file (never an existing one); false, and nothing left behind, when it fails. */
function writeParts(path: string, parts: readonly Uint8Array[]): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch {
    return false;
  }
  let ok = false;
  try {
    for (const part of parts) {
      for (let offset = 0; offset < part.byteLength; ) offset += writeSync(fd, part, offset, part.byteLength - offset);
    }
    ok = true;
  } catch {
    // ENOSPC (a small /dev/shm) and the like: the bytes go inline instead.
  } finally {
    try {
      closeSync(fd);
    } catch {
      ok = false;
    }
    if (!ok) unlinkQuietly(path);
  }
  return ok;
}

/** Trackers holding files that must go if this process exits. */
const unreadAtExit = new Set<SideFiles>();
let exitHooked = false;

function onProcessExit(): void {
  for (const files of [...unreadAtExit]) files.discard();
}

/**
 * The files written to one peer. `wrap` replaces a big payload with a reference; `discard`
 * removes those the peer has not read (call it once the peer is gone).
 */
export class SideFiles {
  readonly #paths = new Set<string>();
  readonly #atExit: boolean;
  #pruneAt = PRUNE_START;

  /** `removeAtExit`: also remove unread files when this process exits (the parent's side). */
  constructor(removeAtExit = false) {
    this.#atExit = removeAtExit;
  }

  /** How many written files may still be unread. */
  get size(): number {
    return this.#paths.size;
  }

  /**
   * The payload to put in the frame: a reference to a new file holding the bytes when they are
   * big, else the bytes themselves (also when the file cannot be written, e.g. /dev/shm is full).
   * `parts` (a head and a body, as `encodeValueParts` gives) are written one after the other,
   * without being joined first.
   */
  wrap(bytes: Buffer | readonly Uint8Array[]): Buffer {
    const parts: readonly Uint8Array[] = Buffer.isBuffer(bytes) ? [bytes] : bytes;
    let length = 0;
    for (const part of parts) length += part.byteLength;
    const dir = length < SIDE_CHANNEL_MIN_BYTES ? null : sideChannelDirectory();
    const path = dir ? join(dir, `${PREFIX}${process.pid}-${randomBytes(8).toString('hex')}`) : undefined;
    if (!path || !writeParts(path, parts)) return Buffer.isBuffer(bytes) ? bytes : Buffer.concat(parts, length);
    this.#track(path);
    const ref = Buffer.allocUnsafe(REF_HEADER + Buffer.byteLength(path));
    ref[0] = TAG_FILE;
    ref.writeUIntLE(length, 1, 6);
    ref.write(path, REF_HEADER, 'utf8');
    return ref;
  }

  #track(path: string): void {
    const paths = this.#paths;
    if (paths.size >= this.#pruneAt) {
      // The peer unlinks what it reads: forget those, so a long-lived peer's list stays short.
      for (const known of paths) if (!existsSync(known)) paths.delete(known);
      this.#pruneAt = Math.max(PRUNE_START, paths.size * 2);
    }
    paths.add(path);
    if (this.#atExit) {
      unreadAtExit.add(this);
      if (!exitHooked) {
        exitHooked = true;
        process.on('exit', onProcessExit);
      }
    }
  }

  /** Removes every file written that the peer has not read. */
  discard(): void {
    for (const path of this.#paths) unlinkQuietly(path);
    this.#paths.clear();
    this.#pruneAt = PRUNE_START;
    unreadAtExit.delete(this);
  }
}
