import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * A memory file shared by a parent and one child, for payloads too big for the socket to carry
 * cheaply but small enough to be common (tens of KiB to a few MiB).
 *
 * The one-off files of side-channel.ts cost a create, an unlink and fresh tmpfs pages (allocated,
 * zeroed and freed by the kernel) per payload. This file is created once per child, unlinked at
 * once (so nothing is left in /dev/shm whatever way either process dies) and handed to the child
 * as an inherited fd. Its pages are allocated on first use and then reused: a payload costs one
 * pwrite and one pread into pages that already exist.
 *
 * The file has two halves, one per direction. Each half is a ring written by one side: the writer
 * places a payload, sends a reference (tag, offset, length) in the frame, and the reader reads the
 * bytes when the frame arrives and answers RING_FREE. Readers read in frame order, so regions are
 * freed oldest first and one count says how many.
 */

/** The payload's first byte: "the encoded value is in the shared ring". */
export const TAG_RING = 5;
/** tag + u48 offset + u48 length */
const REF_SIZE = 13;

/** Bytes per direction. Pages are touched only as payloads need them. */
export const RING_CAPACITY = 4 * 1024 * 1024;
/** A payload bigger than this takes a one-off file: the ring must hold several at once. */
export const RING_MAX_PAYLOAD = RING_CAPACITY / 2;
/** Below this the socket is as cheap (one copy each way, no second syscall). */
export const RING_MIN_PAYLOAD = readThreshold();

function readThreshold(): number {
  // A knob for measuring: FORKPOOL_RING_MIN=<bytes>; "off" disables the ring.
  const raw = process.env.FORKPOOL_RING_MIN;
  if (raw === 'off') return Infinity;
  const value = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(value) && value > REF_SIZE ? value : 64 * 1024;
}

/** The child's environment variable naming the ring's fd. */
export const RING_FD_ENV = 'FORKPOOL_RING_FD';
/** The fd the child inherits the ring file as (after stdin, stdout, stderr and the channel). */
export const RING_CHILD_FD = 4;

/** Which half each side writes. */
const PARENT_HALF = 0;
const CHILD_HALF = RING_CAPACITY;

/**
 * Opens a new, already unlinked ring file in `directory`; undefined when that fails (the
 * socket and one-off files still work without it).
 */
export function createRingFile(directory: string | null): number | undefined {
  if (!directory || RING_MIN_PAYLOAD === Infinity) return undefined;
  const path = join(directory, `forkpool-ring-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    const fd = openSync(path, 'wx+', 0o600);
    unlinkSync(path);
    return fd;
  } catch {
    return undefined;
  }
}

export function closeRingFile(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}

/** True when `payload` is a reference into the ring rather than the value's bytes. */
export function isRingReference(payload: Buffer): boolean {
  return payload.length === REF_SIZE && payload[0] === TAG_RING;
}

interface Region {
  start: number;
  end: number;
}

/** Places payloads in one half of the ring and frees them as the reader reports them read. */
export class RingWriter {
  readonly #fd: number;
  readonly #base: number;
  /** Unread regions, oldest first. */
  readonly #regions: Region[] = [];
  /** Where the newest region ends. */
  #head = 0;

  constructor(fd: number, side: 'parent' | 'child') {
    this.#fd = fd;
    this.#base = side === 'parent' ? PARENT_HALF : CHILD_HALF;
  }

  /** Whether a payload of `length` bytes belongs in the ring at all (not whether it fits now). */
  static wants(length: number): boolean {
    return length >= RING_MIN_PAYLOAD && length <= RING_MAX_PAYLOAD;
  }

  /** Where `length` bytes fit now, or undefined when the unread regions leave no room. */
  #place(length: number): number | undefined {
    const oldest = this.#regions[0];
    if (!oldest) return 0;
    const head = this.#head;
    // Not wrapped: free space is after the head and before the oldest region.
    if (head > oldest.start) {
      if (RING_CAPACITY - head >= length) return head;
      return oldest.start >= length ? 0 : undefined;
    }
    return oldest.start - head >= length ? head : undefined;
  }

  /**
   * Writes `parts` one after the other and returns the reference to send in their place, or
   * undefined (nothing written) when there is no room or the write fails (a full /dev/shm).
   */
  write(parts: readonly Uint8Array[], length: number): Buffer | undefined {
    const at = this.#place(length);
    if (at === undefined) return undefined;
    try {
      let position = this.#base + at;
      for (const part of parts) {
        for (let offset = 0; offset < part.byteLength; ) {
          const written = writeSync(this.#fd, part, offset, part.byteLength - offset, position);
          offset += written;
          position += written;
        }
      }
    } catch {
      return undefined;
    }
    this.#regions.push({ start: at, end: at + length });
    this.#head = at + length;
    const ref = Buffer.allocUnsafe(REF_SIZE);
    ref[0] = TAG_RING;
    ref.writeUIntLE(at, 1, 6);
    ref.writeUIntLE(length, 7, 6);
    return ref;
  }

  /** The reader has read the `count` oldest regions. */
  release(count: number): void {
    this.#regions.splice(0, count);
    if (this.#regions.length === 0) this.#head = 0;
  }

  /** Regions written and not yet read. */
  get unread(): number {
    return this.#regions.length;
  }
}

/** Reads what the other side placed in its half. */
export class RingReader {
  readonly #fd: number;
  readonly #base: number;

  /** `side` is the writer's side: a child reads the parent's half. */
  constructor(fd: number, side: 'parent' | 'child') {
    this.#fd = fd;
    this.#base = side === 'parent' ? PARENT_HALF : CHILD_HALF;
  }

  /** The bytes a reference points to, in a buffer of their own. Throws on a malformed reference. */
  read(ref: Buffer): Buffer {
    const at = ref.readUIntLE(1, 6);
    const length = ref.readUIntLE(7, 6);
    if (at + length > RING_CAPACITY) throw new Error(`ring reference out of bounds: ${at}+${length}`);
    const bytes = Buffer.allocUnsafe(length);
    for (let offset = 0; offset < length; ) {
      const read = readSync(this.#fd, bytes, offset, length - offset, this.#base + at + offset);
      if (read === 0) throw new Error(`ring holds ${offset} of ${length} bytes at ${at}`);
      offset += read;
    }
    return bytes;
  }
}
