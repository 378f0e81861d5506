import { decodeValue, encodeValue } from '../channel/codec.js';
import { toErrorRecord } from '../channel/error-wire.js';
import { Kind } from '../channel/messages.js';
import { CallbackFailedError, CallbackTimeoutError, CallbackUnknownError, UnserializableError } from '../errors.js';
import type { CallbackHandler, CallbackInfo } from '../options.js';

/** Anything that can answer a child: a pool worker or a prefork child. */
export interface CallbackPeer {
  readonly pid: number | undefined;
  send(kind: (typeof Kind)['CALLBACK_RESULT' | 'CALLBACK_ERROR'], id: number, payload: Buffer): void;
}

/**
 * Services child -> parent calls: looks the handler up, runs it (sync or async, with an optional
 * time limit), and answers each call exactly once. Answers to a child that died are dropped.
 */
export class CallbackService {
  readonly #handlers: Record<string, CallbackHandler>;
  readonly #timeoutMs: number;
  readonly #timers = new Map<CallbackPeer, Set<NodeJS.Timeout>>();
  readonly #gone = new WeakSet<CallbackPeer>();

  constructor(handlers: Record<string, CallbackHandler>, timeoutMs: number) {
    this.#handlers = handlers;
    this.#timeoutMs = timeoutMs;
  }

  /** `payload` holds `[name, jobId, argument]` as the child encoded it. */
  handle(peer: CallbackPeer, workerId: number, callId: number, payload: Buffer, extraInfo?: Record<string, unknown>): void {
    let name: string;
    let jobId: number | undefined;
    let argument: unknown;
    try {
      [name, jobId, argument] = decodeValue(payload) as [string, number | undefined, unknown];
    } catch (error) {
      this.#answer(peer, callId, false, error);
      return;
    }
    const handler = Object.hasOwn(this.#handlers, name) ? this.#handlers[name] : undefined;
    if (!handler) {
      this.#answer(peer, callId, false, new CallbackUnknownError(name, Object.keys(this.#handlers)));
      return;
    }
    const info: CallbackInfo = { pid: peer.pid ?? 0, workerId, jobId, ...extraInfo };
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    const done = (ok: boolean, value: unknown) => {
      if (settled) return;
      settled = true;
      if (timer) {
        clearTimeout(timer);
        this.#timers.get(peer)?.delete(timer);
      }
      this.#answer(peer, callId, ok, ok ? value : value instanceof CallbackTimeoutError ? value : new CallbackFailedError(name, value));
    };
    if (this.#timeoutMs > 0) {
      timer = setTimeout(() => done(false, new CallbackTimeoutError(name, this.#timeoutMs)), this.#timeoutMs);
      let timers = this.#timers.get(peer);
      if (!timers) {
      timers = new Set();
      this.#timers.set(peer, timers);
    }
      timers.add(timer);
    }
    try {
      const result = handler(argument, info);
      if (result instanceof Promise || (typeof result === 'object' && result !== null && typeof (result as PromiseLike<unknown>).then === 'function')) {
        (result as PromiseLike<unknown>).then(
          (value) => done(true, value),
          (error: unknown) => done(false, error),
        );
      } else {
        done(true, result);
      }
    } catch (error) {
      done(false, error);
    }
  }

  #answer(peer: CallbackPeer, callId: number, ok: boolean, value: unknown): void {
    if (this.#gone.has(peer)) return;
    if (ok) {
      try {
        peer.send(Kind.CALLBACK_RESULT, callId, encodeValue(value));
        return;
      } catch (error) {
        value = new UnserializableError('callback return value', error);
      }
    }
    peer.send(Kind.CALLBACK_ERROR, callId, encodeValue(toErrorRecord(value)));
  }

  /** The peer exited: drop its pending timers and future answers. */
  forget(peer: CallbackPeer): void {
    this.#gone.add(peer);
    for (const timer of this.#timers.get(peer) ?? []) clearTimeout(timer);
    this.#timers.delete(peer);
  }

  clear(): void {
    for (const timers of this.#timers.values()) for (const timer of timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
