import { RingReader, RingWriter, isRingReference, RING_MIN_PAYLOAD } from './shared-ring.js';
import { resolveSidePayload, SIDE_CHANNEL_MIN_BYTES, SideFiles } from './side-channel.js';

/** Payloads shorter than this always go inline in the frame. */
export const BIG_PAYLOAD_MIN = Math.min(RING_MIN_PAYLOAD, SIDE_CHANNEL_MIN_BYTES);

export interface BigPayloadsOptions {
  /** The shared ring file's fd, when this channel has one. */
  ringFd: number | undefined;
  /** Which side this is: it writes its own half of the ring and reads the other. */
  side: 'parent' | 'child';
  /** Called once per ring region read: the peer must hear of it (RING_READ) to reuse the space. */
  onRingRead: () => void;
  /** Remove one-off files the peer never read when this process exits. */
  removeFilesAtExit: boolean;
}

/**
 * The routes a payload can take besides the socket, for one channel: the shared ring for common
 * big sizes, one-off files for bigger ones (or when the ring is full), inline otherwise.
 */
export class BigPayloads {
  readonly #files: SideFiles;
  readonly #ringOut: RingWriter | undefined;
  readonly #ringIn: RingReader | undefined;
  readonly #onRingRead: () => void;

  constructor(options: BigPayloadsOptions) {
    this.#files = new SideFiles(options.removeFilesAtExit);
    if (options.ringFd !== undefined) {
      this.#ringOut = new RingWriter(options.ringFd, options.side);
      this.#ringIn = new RingReader(options.ringFd, options.side === 'parent' ? 'child' : 'parent');
    }
    this.#onRingRead = options.onRingRead;
  }

  /** The payload to put in the frame: the bytes themselves, or a reference to where they were put. */
  wrap(bytes: Buffer | readonly Uint8Array[]): Buffer {
    const parts: readonly Uint8Array[] = Buffer.isBuffer(bytes) ? [bytes] : bytes;
    let length = 0;
    for (const part of parts) length += part.byteLength;
    if (length < BIG_PAYLOAD_MIN) return Buffer.isBuffer(bytes) ? bytes : Buffer.concat(parts, length);
    if (this.#ringOut && RingWriter.wants(length)) {
      const ref = this.#ringOut.write(parts, length);
      if (ref) return ref;
    }
    return this.#files.wrap(bytes);
  }

  /**
   * What a receiver hands on: the referenced bytes, or the payload itself. Never throws: a
   * reference that cannot be read is passed on, and decoding it reports the error.
   */
  resolve(payload: Buffer): Buffer {
    if (!isRingReference(payload)) return resolveSidePayload(payload);
    if (!this.#ringIn) return payload;
    try {
      return this.#ringIn.read(payload);
    } catch {
      return payload;
    } finally {
      this.#onRingRead();
    }
  }

  /** The peer read `count` more of our ring regions. */
  ringRead(count: number): void {
    this.#ringOut?.release(count);
  }

  /** Removes the one-off files the peer has not read (call it once the peer is gone). */
  discard(): void {
    this.#files.discard();
  }
}
