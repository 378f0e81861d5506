import type { Redis } from 'ioredis';

export interface LivenessHooks {
  /** How long (ms) Redis may go unanswered before `expired` is called. */
  timeout: number;
  /** Redis has not answered for `timeout` ms (called once per outage). */
  expired(): void;
  /** Redis answers again after `expired` was called. */
  back(): void;
}

/**
 * Watches whether Redis answers, with one PING at a time on `client`. Redis counts as away
 * from the moment a PING that is still unanswered was sent: a stopped server, a cut network
 * and a paused (SIGSTOP) or stuck one look the same from here, and a closed socket alone would
 * miss the last two. ioredis queues the PING while it reconnects and resends it afterwards, so
 * the answer also marks the end of an outage.
 */
export class Liveness {
  readonly #client: Redis;
  readonly #hooks: LivenessHooks;
  #timer: NodeJS.Timeout | undefined;
  #inFlight = false;
  /** When the oldest unanswered PING was sent. */
  #unansweredSince: number | undefined;
  #expired = false;
  #stopped = false;

  constructor(client: Redis, hooks: LivenessHooks) {
    this.#client = client;
    this.#hooks = hooks;
  }

  /** Whether Redis has been away for longer than `timeout` and has not answered since. */
  get expired(): boolean {
    return this.#expired;
  }

  /** Whether a PING has been waiting for its answer for at least `ms`. */
  awayFor(ms: number): boolean {
    return this.#unansweredSince !== undefined && Date.now() - this.#unansweredSince >= ms;
  }

  /** Starts watching; after `stop()` (a pool closed before it connected) it does nothing. */
  start(): void {
    if (this.#timer || this.#stopped) return;
    // Often enough to notice an outage well within the deadline, rarely enough to cost nothing.
    const every = Math.min(1000, Math.max(20, Math.floor(this.#hooks.timeout / 5)));
    this.#timer = setInterval(() => this.#beat(), every);
    this.#timer.unref();
    this.#beat();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #beat(): void {
    if (!this.#inFlight) this.#ping();
    if (this.#expired || !this.awayFor(this.#hooks.timeout)) return;
    // Checked again after pending I/O: when this process itself was blocked, the answer may be
    // sitting in the socket, and Redis was not away at all.
    setImmediate(() => {
      if (this.#timer === undefined || this.#expired || !this.awayFor(this.#hooks.timeout)) return;
      this.#expired = true;
      this.#hooks.expired();
    });
  }

  #ping(): void {
    this.#inFlight = true;
    this.#unansweredSince ??= Date.now();
    this.#client.ping().then(
      () => {
        this.#inFlight = false;
        this.#unansweredSince = undefined;
        if (this.#expired) {
          this.#expired = false;
          if (this.#timer !== undefined) this.#hooks.back();
        }
      },
      () => {
        // Refused at once (the client was closed): still unanswered; the next beat tries again.
        this.#inFlight = false;
      },
    );
  }
}
