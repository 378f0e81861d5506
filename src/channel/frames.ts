import type { Socket } from 'node:net';
import { HEADER_SIZE, type KindCode } from './messages.js';

/** Frames longer than this on the wire are treated as garbage: no real message comes near it. */
const HARD_FRAME_LIMIT = 2 ** 31 - 1;

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

  constructor(onFrame: FrameHandler, maxFrame = HARD_FRAME_LIMIT) {
    this.#onFrame = onFrame;
    this.#maxFrame = Math.min(maxFrame, HARD_FRAME_LIMIT);
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

/**
 * Writes frames to a socket, gathering every frame queued in one tick into a single write:
 * many small jobs cost one syscall, not one each.
 */
export class FrameWriter {
  readonly #socket: Socket;
  #pending: Buffer[] = [];
  #scheduled = false;
  #closed = false;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  send(kind: KindCode, id: number, payload: Buffer): void {
    if (this.#closed) return;
    // Small payloads are copied next to their header so the batch stays a few large buffers.
    if (payload.length <= 4096) {
      const frame = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
      frame.writeUInt32LE(HEADER_SIZE - 4 + payload.length, 0);
      frame[4] = kind;
      frame.writeUInt32LE(id, 5);
      payload.copy(frame, HEADER_SIZE);
      this.#pending.push(frame);
    } else {
      this.#pending.push(frameHeader(kind, id, payload.length), payload);
    }
    if (!this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Writes everything queued now (also called by the microtask). */
  readonly flush = (): void => {
    this.#scheduled = false;
    const pending = this.#pending;
    if (pending.length === 0 || this.#closed) return;
    this.#pending = [];
    if (this.#socket.destroyed || !this.#socket.writable) return;
    if (pending.length === 1) {
      this.#socket.write(pending[0] as Buffer);
      return;
    }
    let small = 0;
    for (const b of pending) small += b.length;
    if (small <= 1 << 16) {
      this.#socket.write(Buffer.concat(pending, small));
      return;
    }
    this.#socket.cork();
    for (const b of pending) this.#socket.write(b);
    this.#socket.uncork();
  };

  close(): void {
    this.#closed = true;
    this.#pending = [];
  }
}
