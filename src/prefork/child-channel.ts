import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { encodeValue } from '../channel/codec.js';
import { toErrorRecord } from '../channel/error-wire.js';
import { FrameReader, FrameWriter, frameHeader } from '../channel/frames.js';
import { parentKindLimit } from '../channel/limits.js';
import { CallClient } from '../channel/call-client.js';
import { CHANNEL_FD, Kind } from '../channel/messages.js';
import { UnserializableError } from '../errors.js';
import type { FinalMessage } from './types.js';

/** While the kernel buffer is full, finish() sleeps this long (ms) between write attempts. */
const FULL_BUFFER_SLEEP_MS = 2;

/**
 * A prefork child's end of the channel: callbacks to the manager, and `finish`, which sends the
 * final payload and exits at once (like Perl's exit), so nothing after it runs.
 *
 * The socket is unref'd: a child whose work is over exits even if it never calls `finish`. It is
 * ref'd only while a callback waits for its answer.
 */
export class PreforkChannel {
  readonly #socket: Socket;
  readonly #writer: FrameWriter;
  readonly #calls = new CallClient((id, bytes) => {
    this.#writer.send(Kind.CALLBACK, id, bytes);
    this.#writer.flush();
  });
  #finished = false;

  constructor() {
    this.#socket = new Socket({ fd: CHANNEL_FD, readable: true, writable: true });
    this.#socket.unref();
    this.#writer = new FrameWriter(this.#socket);
    const reader = new FrameReader((kind, id, payload) => {
      if (this.#calls.answer(kind, id, payload) && this.#calls.pending === 0) this.#socket.unref();
    }, undefined, parentKindLimit);
    this.#socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch {
        process.exit(70);
      }
    });
    // The manager is gone: nobody can answer a callback or receive the final payload any more.
    this.#socket.on('end', () => process.exit(0));
    this.#socket.on('error', () => process.exit(0));
  }

  /** Calls the manager's callback `name` and resolves with what it returned. */
  callback<T = unknown>(name: string, payload?: unknown): Promise<T> {
    if (this.#finished) return Promise.reject(new Error(`callback("${name}") after finish(): the child is exiting.`));
    this.#socket.ref();
    const result = this.#calls.call(name, payload, undefined) as Promise<T>;
    if (this.#calls.pending === 0) this.#socket.unref();
    return result;
  }

  /**
   * Sends the final payload and exits with `exitCode`. Throws ERR_UNSERIALIZABLE (without exiting)
   * when the payload cannot be sent. The returned promise never settles: in the rare case the
   * channel is congested the exit happens once the bytes are out, and `await` keeps later code from running.
   */
  finish(exitCode = 0, payload?: unknown): Promise<never> {
    let bytes: Buffer;
    try {
      bytes = encodeValue({ payload } satisfies FinalMessage);
    } catch (error) {
      throw new UnserializableError('final payload', error);
    }
    return this.#finishWith(exitCode, bytes);
  }

  /** Reports a thrown error as the child's outcome and exits with `exitCode`. */
  fail(exitCode: number, error: unknown): Promise<never> {
    return this.#finishWith(exitCode, encodeValue({ error: toErrorRecord(error) } satisfies FinalMessage));
  }

  #finishWith(exitCode: number, bytes: Buffer): Promise<never> {
    this.#finished = true;
    const frame = Buffer.concat([frameHeader(Kind.FINAL, 0, bytes.length), bytes]);
    this.#writer.flush();
    if (this.#socket.destroyed) process.exit(exitCode);
    if (this.#socket.writableLength === 0) {
      writeAllSync(frame);
      process.exit(exitCode);
    }
    // Earlier frames still queue in the socket: the final one must follow them, asynchronously.
    this.#socket.ref();
    this.#socket.end(frame, () => process.exit(exitCode));
    return new Promise<never>(() => undefined);
  }
}

/** Writes to the channel synchronously; the manager is always reading, so a full buffer drains soon. */
function writeAllSync(frame: Buffer): void {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let offset = 0;
  while (offset < frame.length) {
    try {
      offset += writeSync(CHANNEL_FD, frame, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return; // EPIPE: the manager is gone
      Atomics.wait(sleeper, 0, 0, FULL_BUFFER_SLEEP_MS);
    }
  }
}
