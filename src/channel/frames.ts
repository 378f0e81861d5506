import type { Socket } from 'node:net';
import { HEADER_SIZE, type KindCode } from './messages.js';
import { StagingBuffers } from './staging.js';

/** Frames longer than this on the wire are treated as garbage: no real message comes near it. */
const HARD_FRAME_LIMIT = 2 ** 31 - 1;

/** What a FrameWriter writes to: a net.Socket, or the child's blocking answer fd (child/sync-sink.ts). */
export type FrameSink = Pick<Socket, 'cork' | 'uncork' | 'writableLength' | 'destroyed' | 'writable'> & {
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
};

export type FrameHandler = (kind: KindCode, id: number, payload: Buffer) => void;

/**
 * Cuts a byte stream into frames. Chunks are kept as a list and joined only when a frame spans
 * them, so a multi-megabyte payload is copied once, not once per chunk.
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  #buffered = 0;
  /** Bytes the incomplete frame at the front needs in all; 0 when unknown. */
  #needed = 0;
  readonly #onFrame: FrameHandler;
  readonly #maxFrame: number;
  readonly #isKind: ((kind: number) => boolean) | undefined;

  /** `isKind` lets garbage be caught at its header, before waiting for a "frame" of its length. */
  constructor(onFrame: FrameHandler, maxFrame = HARD_FRAME_LIMIT, isKind?: (kind: number) => boolean) {
    this.#onFrame = onFrame;
    this.#maxFrame = Math.min(maxFrame, HARD_FRAME_LIMIT);
    this.#isKind = isKind;
  }

  /** Feeds bytes; throws an Error when the stream is not a valid frame stream. */
  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    // A big frame arrives in many chunks: join them once, when it is complete (not once per chunk).
    if (this.#buffered < 4 || this.#buffered < this.#needed) return;
    this.#needed = 0;
    let buffer = this.#chunks.length === 1 ? chunk : Buffer.concat(this.#chunks, this.#buffered);
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const length = buffer.readUInt32LE(offset);
      if (length < HEADER_SIZE - 4 || length > this.#maxFrame) {
        throw new Error(`invalid frame length ${length}`);
      }
      if (this.#isKind && buffer.length - offset > 4 && !this.#isKind(buffer[offset + 4] as number)) {
        throw new Error(`invalid frame kind ${buffer[offset + 4]}`);
      }
      if (buffer.length - offset - 4 < length) {
        this.#needed = 4 + length;
        break;
      }
      const kind = buffer[offset + 4] as KindCode;
      const id = buffer.readUInt32LE(offset + 5);
      const payload = buffer.subarray(offset + HEADER_SIZE, offset + 4 + length);
      offset += 4 + length;
      this.#onFrame(kind, id, payload);
    }
    if (offset === buffer.length) {
      this.#chunks = [];
      this.#buffered = 0;
    } else {
      buffer = offset === 0 ? buffer : buffer.subarray(offset);
      this.#chunks = [buffer];
      this.#buffered = buffer.length;
    }
  }

  get buffered(): number {
    return this.#buffered;
  }
}

export function frameHeader(kind: KindCode, id: number, payloadLength: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  header.writeUInt32LE(HEADER_SIZE - 4 + payloadLength, 0);
  header[4] = kind;
  header.writeUInt32LE(id, 5);
  return header;
}

/** Payloads up to this size are copied into the batch; bigger ones are written as they are. */
const COPY_LIMIT = 4096;
const BATCH_SIZE = 64 * 1024;

/**
 * Writes frames to a socket, gathering every frame queued in one tick into a single write:
 * many small jobs cost one syscall, not one each. Small frames are built in place in one batch
 * buffer, which is reused when the socket took the previous write synchronously (the usual case
 * on a socketpair), so small messages allocate nothing per frame.
 */
export class FrameWriter {
  readonly #socket: FrameSink;
  /** Buffers already closed for this flush (a finished batch segment, big payloads). */
  #pending: Buffer[] = [];
  /** For some of `#pending`: called once the socket has taken that buffer's bytes. */
  #releases: Map<Buffer, () => void> | undefined;
  readonly #staging = new StagingBuffers();
  #batch: Buffer = Buffer.allocUnsafe(0);
  #used = 0;
  #scheduled = false;
  #closed = false;

  constructor(socket: FrameSink) {
    this.#socket = socket;
  }

  #room(bytes: number): void {
    if (this.#batch.length - this.#used >= bytes) return;
    if (this.#used > 0) this.#pending.push(this.#batch.subarray(0, this.#used));
    this.#batch = Buffer.allocUnsafe(Math.max(BATCH_SIZE, bytes));
    this.#used = 0;
  }

  #schedule(): void {
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  #header(kind: KindCode, id: number, payloadLength: number): void {
    const batch = this.#batch;
    const at = this.#used;
    batch.writeUInt32LE(HEADER_SIZE - 4 + payloadLength, at);
    batch[at + 4] = kind;
    batch.writeUInt32LE(id, at + 5);
  }

  /**
   * Queues a frame. The payload may come in parts (a head and a body), written one after the
   * other without being joined. Big parts are written as they are, so they must not change
   * before the write: `borrowed` says they may (memory the caller does not own), and they are
   * copied first, into a staging buffer that is reused once the socket has taken it.
   */
  send(kind: KindCode, id: number, payload: Buffer | readonly Uint8Array[], options?: { borrowed?: boolean }): void {
    if (this.#closed) return;
    const parts: readonly Uint8Array[] = Buffer.isBuffer(payload) ? [payload] : payload;
    let length = 0;
    for (const part of parts) length += part.byteLength;
    if (length <= COPY_LIMIT) {
      this.#room(HEADER_SIZE + length);
      this.#header(kind, id, length);
      let at = this.#used + HEADER_SIZE;
      for (const part of parts) {
        this.#batch.set(part, at);
        at += part.byteLength;
      }
      this.#used = at;
    } else {
      // The batch so far, then the header, then the payload's parts (or their staged copy).
      this.#room(HEADER_SIZE);
      this.#header(kind, id, length);
      this.#used += HEADER_SIZE;
      this.#pending.push(this.#batch.subarray(0, this.#used));
      this.#batch = this.#batch.subarray(this.#used);
      this.#used = 0;
      if (options?.borrowed) {
        const { bytes, release } = this.#staging.copy(parts, length);
        this.#pending.push(bytes);
        this.#releases ??= new Map();
        this.#releases.set(bytes, release);
      } else {
        for (const part of parts) this.#pending.push(Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength));
      }
    }
    this.#schedule();
  }

  /**
   * Sends a payload made of one tag byte and a string's UTF-8, written straight into the
   * batch: the codec's JSON text needs no buffer of its own.
   */
  sendText(kind: KindCode, id: number, tag: number, text: string): void {
    if (this.#closed) return;
    if (text.length > COPY_LIMIT) {
      const payload = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
      payload[0] = tag;
      payload.write(text, 1, 'utf8');
      this.send(kind, id, payload);
      return;
    }
    // UTF-8 needs at most 3 bytes per UTF-16 unit.
    this.#room(HEADER_SIZE + 1 + text.length * 3);
    const at = this.#used;
    const written = this.#batch.write(text, at + HEADER_SIZE + 1, 'utf8');
    this.#header(kind, id, 1 + written);
    this.#batch[at + HEADER_SIZE] = tag;
    this.#used = at + HEADER_SIZE + 1 + written;
    this.#schedule();
  }

  /** Writes everything queued now (also called by the microtask). */
  readonly flush = (): void => {
    this.#scheduled = false;
    if (this.#closed) return;
    const used = this.#used;
    if (used === 0 && this.#pending.length === 0) return;
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) {
      this.#pending = [];
      this.#releases = undefined;
      this.#used = 0;
      return;
    }
    // The queued frames are taken out before writing: a write that throws loses them, as it
    // would lose any write, rather than sending them later in a surprising order.
    const batch = this.#batch;
    this.#batch = batch.subarray(used);
    this.#used = 0;
    if (this.#pending.length === 0) {
      socket.write(batch.subarray(0, used));
      // Nothing left in the socket's queue: the kernel has the bytes and the whole batch is free
      // to reuse. Otherwise the socket still holds it, and the next frames go after it.
      if (socket.writableLength === 0) this.#batch = batch;
      return;
    }
    const pending = this.#pending;
    const releases = this.#releases;
    if (used > 0) pending.push(batch.subarray(0, used));
    this.#pending = [];
    this.#releases = undefined;
    socket.cork();
    for (const b of pending) {
      const release = releases?.get(b);
      // A staging buffer is reused once the socket has taken its bytes (not on error: then the
      // channel is gone and so is the need for it).
      if (release) socket.write(b, (error) => { if (!error) release(); });
      else socket.write(b);
    }
    socket.uncork();
  };

  close(): void {
    this.#closed = true;
    this.#pending = [];
    this.#releases = undefined;
    this.#used = 0;
  }
}
