import { UnserializableError } from '../errors.js';
import { decodeValue, encodeValue } from './codec.js';
import { fromErrorRecord, type ErrorRecord } from './error-wire.js';
import { Kind } from './messages.js';

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

/**
 * A child's side of parent callbacks (`ctx.callback`, a prefork child's `callback`): numbered
 * CALLBACK frames out, each answered once by CALLBACK_RESULT or CALLBACK_ERROR. One copy for the
 * pool worker's runtime and the prefork child's channel.
 */
export class CallClient {
  readonly #send: (id: number, bytes: Buffer) => void;
  readonly #calls = new Map<number, PendingCall>();
  #nextId = 1;

  /** `send` writes one CALLBACK frame (and flushes it: the caller waits for the answer). */
  constructor(send: (id: number, bytes: Buffer) => void) {
    this.#send = send;
  }

  /** Calls the parent's `name` and resolves with what it returned. */
  call(name: string, payload: unknown, jobId: number | undefined): Promise<unknown> {
    let bytes: Buffer;
    try {
      bytes = encodeValue([name, jobId, payload]);
    } catch (error) {
      return Promise.reject(new UnserializableError(`payload of callback "${name}"`, error));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#send(id, bytes);
    });
  }

  /** Calls waiting for their answer. */
  get pending(): number {
    return this.#calls.size;
  }

  /**
   * Settles the call an answer frame is for (false when it is for none: not an answer, or a call
   * already answered). An answer that does not decode fails that call; the child lives on.
   */
  answer(kind: number, id: number, payload: Buffer): boolean {
    if (kind !== Kind.CALLBACK_RESULT && kind !== Kind.CALLBACK_ERROR) return false;
    const call = this.#calls.get(id);
    if (!call) return false;
    this.#calls.delete(id);
    let value: unknown;
    try {
      value = decodeValue(payload);
    } catch (error) {
      call.reject(error);
      return true;
    }
    if (kind === Kind.CALLBACK_RESULT) call.resolve(value);
    else call.reject(fromErrorRecord(value as ErrorRecord));
    return true;
  }
}
