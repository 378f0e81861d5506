import type { Socket } from 'node:net';
import { HEADER_SIZE, type KindCode } from './messages.js';
import { MAX_RUN, RUN_CLOSE, RUN_ID_BYTES, RUN_OPEN, RUN_SEPARATOR } from './json-run.js';

/**
 * The longest frame any reader accepts, header included: a message of the largest size the
 * options allow (2 GiB - 1) and its header. A reader for one direction is given a lower limit.
 */
export const HARD_FRAME_LIMIT = 2 ** 31 - 1 + HEADER_SIZE;

/** A frame spanning reads is assembled in memory of its own from this size on (not the shared pool). */
const OWN_MEMORY_FROM = 4096;

/**
 * Which kinds a reader accepts: `false` (or 0) refuses the kind, `true` accepts it up to the
 * reader's `maxFrameSize`, a number accepts it up to that many bytes, header included (a frame
 * that only ever carries a few bytes, such as READY, is refused at its header when it claims more).
 */
export type KindLimit = (kind: number) => boolean | number;

/** What a FrameWriter writes to: a net.Socket (a pool worker writes its answers with child/answer-writer.ts instead). */
export type FrameSink = Pick<Socket, 'cork' | 'uncork' | 'writableLength' | 'destroyed' | 'writable'> & {
  write(chunk: Uint8Array, callback?: (error?: Error | null) => void): boolean;
};

export type FrameHandler = (kind: KindCode, id: number, payload: Buffer) => void;

/** The byte stream is not a frame stream: the peer is broken or hostile. */
export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

/**
 * Cuts a byte stream into frames. Every header is checked as soon as its bytes are there: the
 * length (at most `maxFrameSize`, header included) once 4 bytes are in, the kind once the fifth
 * is, so garbage is refused before anything is buffered for it, and a reader never holds more
 * than one unfinished frame of at most the limit (plus what the read that ends it brought).
 * Chunks are kept as a list: a frame that spans them is copied once, into memory of exactly its
 * size, so a big payload needs no second copy and holds no other frame's bytes. (Payloads of
 * frames read in one chunk are views into it: the codec copies what it keeps of them.)
 */
export class FrameReader {
  #chunks: Buffer[] = [];
  /** Where the unread bytes start in `#chunks[0]`. */
  #head = 0;
  #buffered = 0;
  /** Size of the frame at the front once its header was checked; 0 before. */
  #needed = 0;
  #error: FrameError | undefined;
  readonly #onFrame: FrameHandler;
  readonly #maxFrameSize: number;
  readonly #kindLimit: KindLimit | undefined;

  /**
   * @param maxFrameSize the longest frame accepted, its 9-byte header included (for results: the
   *   largest message allowed plus `HEADER_SIZE`); a longer one is refused at its header.
   * @param kindLimit the kinds this side may receive (see `KindLimit`): any other, or a frame
   *   longer than its kind may be, is refused at its header too.
   */
  constructor(onFrame: FrameHandler, maxFrameSize = HARD_FRAME_LIMIT, kindLimit?: KindLimit) {
    this.#onFrame = onFrame;
    this.#maxFrameSize = Math.min(maxFrameSize, HARD_FRAME_LIMIT);
    this.#kindLimit = kindLimit;
  }

  /**
   * Feeds bytes; calls the handler for every frame completed (an error it throws propagates, with
   * the reader ready for the next push). Throws a FrameError when the stream is not a valid frame
   * stream, and again on every later push.
   */
  push(chunk: Buffer): void {
    if (this.#error) throw this.#error;
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    // A big frame arrives in many chunks: nothing to do until it is complete.
    if (this.#buffered < this.#needed) return;
    for (;;) {
      const first = this.#chunks[0] as Buffer;
      const head = this.#head;
      const inFirst = first.length - head;
      if (this.#needed === 0) {
        if (this.#buffered < 4) return;
        // The usual case, many small frames in one chunk, reads the header straight from it.
        const length = inFirst >= 4 ? first.readUInt32LE(head) : this.#uint32();
        if (length < HEADER_SIZE - 4 || length + 4 > this.#maxFrameSize) {
          this.#fail(`invalid frame length ${length} (the most accepted is ${this.#maxFrameSize - 4})`);
        }
        if (this.#buffered < 5) return;
        if (this.#kindLimit) {
          const kind = inFirst >= 5 ? (first[head + 4] as number) : this.#byte(4);
          const limit = this.#kindLimit(kind);
          if (limit === false || limit === 0) this.#fail(`invalid frame kind ${kind}`);
          if (typeof limit === 'number' && length + 4 > limit) this.#fail(`invalid frame length ${length} for kind ${kind} (the most accepted is ${limit - 4})`);
        }
        this.#needed = 4 + length;
      }
      const size = this.#needed;
      if (this.#buffered < size) return;
      this.#needed = 0;
      this.#buffered -= size;
      let frame = first;
      let at = head;
      if (inFirst >= size) {
        this.#head = head + size;
        if (this.#head === first.length) {
          this.#chunks.shift();
          this.#head = 0;
        }
      } else {
        frame = this.#assemble(size);
        at = 0;
      }
      this.#onFrame(frame[at + 4] as KindCode, frame.readUInt32LE(at + 5), frame.subarray(at + HEADER_SIZE, at + size));
      if (this.#buffered === 0) return;
    }
  }

  get buffered(): number {
    return this.#buffered;
  }

  #fail(message: string): never {
    this.#error = new FrameError(message);
    this.#chunks = [];
    this.#head = 0;
    this.#buffered = 0;
    throw this.#error;
  }

  #byte(index: number): number {
    let at = this.#head + index;
    const chunks = this.#chunks;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i] as Buffer;
      if (at < chunk.length) return chunk[at] as number;
      at -= chunk.length;
    }
    return 0;
  }

  /** The frame length at the front, when its 4 bytes span chunks. */
  #uint32(): number {
    return (this.#byte(0) | (this.#byte(1) << 8) | (this.#byte(2) << 16)) + this.#byte(3) * 0x1000000;
  }

  /** Copies the `size` bytes at the front, which span chunks, into memory of their own. */
  #assemble(size: number): Buffer {
    const frame = size >= OWN_MEMORY_FROM ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const chunk = this.#chunks[0] as Buffer;
      const count = Math.min(chunk.length - this.#head, size - filled);
      chunk.copy(frame, filled, this.#head, this.#head + count);
      filled += count;
      this.#head += count;
      if (this.#head === chunk.length) {
        this.#chunks.shift();
        this.#head = 0;
      }
    }
    return frame;
  }
}

/** A payload of one tag byte and a string's UTF-8, in a buffer of its own (for a long text). */
export function taggedText(tag: number, text: string): Buffer {
  const payload = Buffer.allocUnsafe(1 + Buffer.byteLength(text));
  payload[0] = tag;
  payload.write(text, 1, 'utf8');
  return payload;
}

/** Writes a frame header (`u32 length | u8 kind | u32 id`) for a payload of `payloadLength` bytes at `at`. */
export function writeFrameHeader(buffer: Buffer, at: number, kind: KindCode, id: number, payloadLength: number): void {
  buffer.writeUInt32LE(HEADER_SIZE - 4 + payloadLength, at);
  buffer[at + 4] = kind;
  buffer.writeUInt32LE(id, at + 5);
}

export function frameHeader(kind: KindCode, id: number, payloadLength: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_SIZE);
  writeFrameHeader(header, 0, kind, id, payloadLength);
  return header;
}

/** A run frame being filled: where its header is, its kind, the ids, its payload bytes were it closed now, its byte limit. */
interface OpenRun {
  kind: KindCode;
  buffer: Buffer;
  at: number;
  ids: number[];
  bytes: number;
  limit: number;
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
  #batch: Buffer = Buffer.allocUnsafe(0);
  #used = 0;
  #scheduled = false;
  #closed = false;
  /** The run frame being filled (see sendInRun): where its header is, its kind, ids and bytes so far. */
  #run: OpenRun | undefined;

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
    writeFrameHeader(this.#batch, this.#used, kind, id, payloadLength);
  }

  /**
   * Queues a frame. The payload may come in parts (a head and a body), written one after the
   * other without being joined. Big parts are written as they are, so they must not change
   * before the write: callers hand over memory they own (the pool's job snapshots are reused
   * only once answered).
   */
  send(kind: KindCode, id: number, payload: Buffer | readonly Uint8Array[]): void {
    if (this.#closed) return;
    if (this.#run) this.#closeRun();
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
      // The batch so far, then the header, then the payload's parts.
      this.#room(HEADER_SIZE);
      this.#header(kind, id, length);
      this.#used += HEADER_SIZE;
      this.#pending.push(this.#batch.subarray(0, this.#used));
      this.#batch = this.#batch.subarray(this.#used);
      this.#used = 0;
      for (const part of parts) this.#pending.push(Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength));
    }
    this.#schedule();
  }

  /**
   * Sends a payload made of one tag byte and a string's UTF-8, written straight into the
   * batch: the codec's JSON text needs no buffer of its own.
   */
  sendText(kind: KindCode, id: number, tag: number, text: string): void {
    if (this.#closed) return;
    if (this.#run) this.#closeRun();
    if (text.length > COPY_LIMIT) {
      this.send(kind, id, taggedText(tag, text));
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

  /**
   * Adds one value's JSON text to a run frame of `kind` (see json-run.ts): many small answers in
   * one frame, one header and one decode for them all. The run stays open until another frame
   * is queued, a flush, or it would pass `limit` payload bytes (a new run then starts): frames
   * keep the order they were queued in. False (nothing queued) when the text alone cannot fit
   * in `limit`: send it as a frame of its own.
   */
  sendInRun(kind: KindCode, id: number, text: string, limit: number): boolean {
    if (this.#closed) return true;
    // UTF-8 needs at most 3 bytes per UTF-16 unit; a separator and an id come with each text.
    const most = text.length * 3 + 1 + RUN_ID_BYTES;
    if (most + 1 > limit) return false;
    let run = this.#run;
    if (run && (run.kind !== kind || run.bytes + most > run.limit || run.ids.length === MAX_RUN)) {
      this.#closeRun();
      run = undefined;
    }
    if (!run) {
      this.#room(HEADER_SIZE + 1 + most);
      // Its bytes count the closing `]` from the start (and each value's id with the value).
      run = { kind, buffer: this.#batch, at: this.#used, ids: [], bytes: 2, limit };
      this.#run = run;
      this.#batch[this.#used + HEADER_SIZE] = RUN_OPEN;
      this.#used += HEADER_SIZE + 1;
    } else {
      this.#room(most);
      this.#batch[this.#used++] = RUN_SEPARATOR;
      run.bytes++;
    }
    const written = this.#batch.write(text, this.#used, 'utf8');
    this.#used += written;
    run.bytes += written + RUN_ID_BYTES;
    run.ids.push(id);
    this.#schedule();
    return true;
  }

  /** Ends the open run: `]`, its ids, and its header (written now that its length is known). */
  #closeRun(): void {
    const run = this.#run as OpenRun;
    this.#run = undefined;
    const ids = run.ids;
    this.#room(1 + ids.length * RUN_ID_BYTES);
    const batch = this.#batch;
    let at = this.#used;
    batch[at++] = RUN_CLOSE;
    for (const id of ids) {
      batch.writeUInt32LE(id, at);
      at += RUN_ID_BYTES;
    }
    this.#used = at;
    writeFrameHeader(run.buffer, run.at, run.kind, ids.length, run.bytes);
  }

  /** Writes everything queued now (also called by the microtask). */
  readonly flush = (): void => {
    this.#scheduled = false;
    if (this.#closed) return;
    if (this.#run) this.#closeRun();
    const used = this.#used;
    if (used === 0 && this.#pending.length === 0) return;
    const socket = this.#socket;
    if (socket.destroyed || !socket.writable) {
      this.#pending = [];
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
    if (used > 0) pending.push(batch.subarray(0, used));
    this.#pending = [];
    socket.cork();
    for (const b of pending) socket.write(b);
    socket.uncork();
  };

  close(): void {
    this.#closed = true;
    this.#run = undefined;
    this.#pending = [];
    this.#used = 0;
  }
}
