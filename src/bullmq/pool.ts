import { randomBytes } from 'node:crypto';
import { Job, Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { AbortError, InvalidOptionError, PoolClosedError, UnserializableError } from '../errors.js';
import type { CloseOptions } from '../pool.js';
import type { JobOf, ResultOf } from '../types.js';
import { OutcomePool } from '../queue/outcome-pool.js';
import { onAbort as watchAbort } from '../util/abort-listener.js';
import { withDeadline } from './connection.js';
import { JOB_NAME } from './defaults.js';
import type { Envelope } from './envelope.js';
import { recordOf } from './envelope.js';
import { RedisUnavailableError } from './errors.js';
import { failureFromReason } from './failure.js';
import { Liveness } from './liveness.js';
import { normalizeProducerOptions, type DistributedPoolOptions, type NormalizedProducerOptions } from './producer-options.js';
import { Reconciler } from './reconciler.js';
import { checkRunOptions } from '../run-options.js';
import { bullmqPriority, PRIORITY_LIMIT, type DistributedRunOptions } from './run-options.js';

interface PendingJob {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  /** Set once the job is in Redis: only then may its state be polled. */
  added: boolean;
  release?: (() => void) | undefined;
  onProgress?: ((value: unknown) => void) | undefined;
}

export interface DistributedPoolEvents {
  /** A job passed `value` to `ctx.progress(value)` on its host (`jobId` is its BullMQ job id). */
  progress: [{ jobId: string; value: unknown }];
  /** Redis trouble: a lost connection, an outage past `redisTimeout`. Jobs report their own errors. */
  error: [Error];
}

/** Jobs sent to Redis in one round trip at most. */
const BATCH = 500;

/**
 * A pool with the local `Pool`'s surface whose jobs run on `forkpool worker` hosts through a
 * BullMQ queue. Outcomes come back through BullMQ's event stream, and from job state in Redis
 * when events were missed; every job settles exactly once.
 *
 * @example
 * const pool = new DistributedPool<typeof import('./square.js')>({ connection: 'redis://10.0.0.5:6379', queue: 'squares' });
 * const nine = await pool.run(3);
 * await pool.close();
 */
export class DistributedPool<W = any, Mapped = ResultOf<W>> extends OutcomePool<JobOf<W>, Mapped> {
  readonly #options: NormalizedProducerOptions;
  readonly #onResult: ((value: ResultOf<W>, job: JobOf<W>) => Mapped) | undefined;
  readonly #queue: Queue;
  readonly #events: QueueEvents;
  readonly #client: Redis;
  readonly #ready: Promise<void>;
  readonly #jobs = new Map<string, PendingJob>();
  readonly #reconciler: Reconciler;
  readonly #liveness: Liveness;
  /** Ids are `fp.<pool>.<n>`: unique across producers, known before the add so no event is early. */
  readonly #idPrefix = `fp.${randomBytes(6).toString('base64url')}.`;
  #nextId = 1;
  #batch: Array<{ name: string; data: Envelope; opts: JobsOptions }> = [];
  #flushScheduled = false;
  #closing = false;
  #closed: Promise<void> | undefined;
  #forcing: Promise<void> | undefined;
  #whenIdle: (() => void) | undefined;

  constructor(options: DistributedPoolOptions<ResultOf<W>, Mapped>) {
    super();
    this.#options = normalizeProducerOptions(options);
    this.#onResult = options.onResult as ((value: ResultOf<W>, job: JobOf<W>) => Mapped) | undefined;
    const { clients, queue, prefix, connectTimeout } = this.#options;
    this.#client = clients.client();
    this.#queue = new Queue(queue, { connection: this.#client, prefix });
    const eventsClient = clients.client();
    this.#events = new QueueEvents(queue, { connection: eventsClient, prefix });
    this.#queue.on('error', (error) => this.#report(error));
    this.#events.on('error', (error) => this.#report(error));
    this.#events.on('completed', ({ jobId, returnvalue }) => this.#settle(jobId, true, returnvalue));
    this.#events.on('failed', ({ jobId, failedReason }) => void this.#readFailure(jobId, failedReason));
    this.#events.on('progress', ({ jobId, data }) => this.#progress(jobId, data));
    this.#ready = withDeadline(Promise.all([this.#queue.waitUntilReady(), this.#events.waitUntilReady()]).then(() => undefined), connectTimeout, 'connect');
    // Jobs report a failed connection; this only keeps it from being an unhandled rejection.
    this.#ready.catch(() => undefined);
    this.#reconciler = new Reconciler({
      queue: this.#queue,
      interval: this.#options.reconcileInterval,
      timeout: connectTimeout,
      ids: () => this.#addedIds(),
      completed: (id, value) => this.#settle(id, true, value),
      failed: (id, failedReason, stalledCount) => this.#settle(id, false, failureFromReason(failedReason, stalledCount)),
      lost: (id, error) => this.#settle(id, false, error),
    });
    this.#liveness = new Liveness(this.#client, {
      timeout: this.#options.redisTimeout,
      expired: () => this.#expire(),
      back: () => this.#reconciler.readAllSoon(),
    });
    void this.#ready.then(() => this.#liveness.start(), () => undefined);
    // After a reconnect Redis may be a new, empty server (ERR_JOB_LOST) or events may be gone.
    for (const client of [this.#client, eventsClient]) {
      let connections = 0;
      client.on('ready', () => {
        if (++connections > 1) this.#reconciler.readAllSoon();
      });
    }
  }

  /** Redis has not answered for `redisTimeout` ms: every pending job fails, as do new ones until it answers. */
  #expire(): void {
    const error = this.#unavailable();
    this.#report(error);
    for (const id of [...this.#jobs.keys()]) this.#settle(id, false, error);
  }

  #unavailable(): RedisUnavailableError {
    return new RedisUnavailableError(`answer within "redisTimeout" (${this.#options.redisTimeout} ms)`);
  }

  /** Resolves once Redis is connected; rejects with ERR_REDIS_UNAVAILABLE within `connectTimeout`. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /**
   * Runs one job on some host and resolves with its (mapped) result. Jobs, results and progress
   * values are JSON. `name` picks the worker module's export, `priority` orders the waiting jobs
   * (BullMQ's `priority`), `onProgress` hears the job's `ctx.progress` values.
   */
  run(job: JobOf<W>, options: DistributedRunOptions = {}): Promise<Mapped> {
    if (this.#closing) return Promise.reject(new PoolClosedError());
    if (this.#liveness.expired) return Promise.reject(this.#unavailable());
    const timeout = options.timeout ?? this.#options.timeout;
    const invalid = checkRunOptions(options, timeout, PRIORITY_LIMIT);
    if (invalid) return Promise.reject(invalid);
    // (JavaScript callers: the type has no `transfer`.)
    if ((options as { transfer?: unknown }).transfer !== undefined) {
      return Promise.reject(new InvalidOptionError('transfer', 'is not available in the distributed mode: jobs travel through Redis as JSON, copied whatever the caller does.'));
    }
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    const { name, priority = 0, onProgress } = options;
    try {
      if (JSON.stringify(job) === undefined) throw new TypeError(`${typeof job} is not a JSON value`);
    } catch (error) {
      return Promise.reject(new UnserializableError('job (through Redis, as JSON)', error));
    }
    const id = this.#idPrefix + this.#nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      const pending: PendingJob = { resolve, reject, added: false, onProgress };
      if (signal) {
        // A job still waiting is removed; one already running on a host finishes there, unheard.
        const onAbort = () => {
          void this.#queue.remove(id).catch(() => undefined);
          this.#settle(id, false, new AbortError(signal.reason));
        };
        // One listener per signal (not per job): a signal shared by a batch of jobs would warn past 10.
        pending.release = watchAbort(signal, onAbort);
      }
      this.#jobs.set(id, pending);
    });
    const data: Envelope = { job };
    if (timeout > 0) data.timeout = timeout;
    if (name !== undefined) data.name = name;
    this.#batch.push({ name: JOB_NAME, data, opts: this.#jobOptions(id, priority) });
    this.#scheduleFlush();
    const onResult = this.#onResult;
    return (onResult ? result.then((value) => onResult(value as ResultOf<W>, job)) : result) as Promise<Mapped>;
  }

  #jobOptions(jobId: string, priority: number): JobsOptions {
    const { maxRetries, retryDelay, keepResults } = this.#options;
    return {
      jobId,
      priority: bullmqPriority(priority),
      attempts: maxRetries + 1,
      ...(retryDelay > 0 ? { backoff: { type: 'exponential', delay: retryDelay } } : {}),
      // Never `true`: the outcome must stay readable until this producer has read it.
      removeOnComplete: { age: keepResults },
      removeOnFail: { age: keepResults },
    };
  }

  /** Jobs of one tick go to Redis together: one round trip for many `run()` calls. */
  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => {
      this.#flushScheduled = false;
      while (this.#batch.length > 0) void this.#flush(this.#batch.splice(0, BATCH));
    });
  }

  async #flush(queued: Array<{ name: string; data: Envelope; opts: JobsOptions }>): Promise<void> {
    try {
      await this.#ready;
      // Jobs cancelled (or force-closed) before they reached Redis are not sent at all.
      const batch = queued.filter(({ opts }) => this.#jobs.has(opts.jobId as string));
      if (batch.length === 0) return;
      const added = this.#queue.addBulk(batch);
      // Redis away: ioredis holds the add until it reconnects, and the liveness deadline fails
      // the jobs meanwhile; this bound is only a backstop.
      await withDeadline(added, this.#options.redisTimeout, 'add jobs').catch((error: unknown) => {
        // Added after all, late: jobs already failed here must not run unheard.
        void added.then(() => this.#removeSettled(batch), () => undefined);
        throw error;
      });
      this.#removeSettled(batch);
      this.#reconciler.start();
    } catch (error) {
      for (const { opts } of queued) this.#settle(opts.jobId as string, false, error);
    }
  }

  /** Marks the batch's jobs as in Redis, and removes those settled while the add was in flight. */
  #removeSettled(batch: ReadonlyArray<{ opts: JobsOptions }>): void {
    for (const { opts } of batch) {
      const id = opts.jobId as string;
      const pending = this.#jobs.get(id);
      if (pending) pending.added = true;
      else void this.#queue.remove(id).catch(() => undefined);
    }
  }

  *#addedIds(): Iterable<string> {
    for (const [id, pending] of this.#jobs) if (pending.added) yield id;
  }

  /** A `failed` event: a forkpool host's failure carries its error; any other needs the job's stalled count. */
  async #readFailure(id: string, failedReason: string): Promise<void> {
    if (!this.#jobs.has(id)) return;
    if (recordOf(failedReason)) return this.#settle(id, false, failureFromReason(failedReason));
    try {
      const job = await withDeadline(Job.fromId(this.#queue, id), this.#options.connectTimeout, 'read a failed job');
      // Gone already: the reconciler reports it lost.
      if (job) this.#settle(id, false, failureFromReason(failedReason, job.stalledCounter));
    } catch {
      // Left pending: the reconciler reads the job's state again on its next round.
    }
  }

  /** A job's progress, from BullMQ's event stream: before its `completed` or `failed` event there. */
  #progress(id: string, value: unknown): void {
    const pending = this.#jobs.get(id);
    // Settled already (the reconciler read its outcome first): no progress after the outcome.
    if (!pending) return;
    try {
      pending.onProgress?.(value);
    } catch (error) {
      // The listener is user code on BullMQ's event loop: its throw must not stop the events.
      this.#report(error instanceof Error ? error : new Error(String(error)));
    }
    if (this.listenerCount('progress') > 0) this.emit('progress', { jobId: id, value });
  }

  #settle(id: string, ok: boolean, value: unknown): void {
    const pending = this.#jobs.get(id);
    if (!pending) return;
    this.#jobs.delete(id);
    pending.release?.();
    if (ok) pending.resolve(value);
    else pending.reject(value);
    if (this.#jobs.size === 0) this.#whenIdle?.();
  }

  #report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** Redis has no queue limit here: only a closed pool refuses jobs. */
  protected assertRoomFor(): void {
    if (this.#closing) throw new PoolClosedError();
  }

  /** Jobs sent and not settled yet. */
  get inFlight(): number {
    return this.#jobs.size;
  }

  /**
   * Graceful by default: no new jobs; those sent are waited for (hosts keep running them).
   * With `{ force: true }` unsettled jobs reject with ERR_POOL_CLOSED at once and those still
   * waiting in the queue are removed from it (running ones finish on their hosts, unheard).
   */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing = true;
    if (options.force) this.#forcing ??= this.#forceSettle();
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #forceSettle(): Promise<void> {
    const ids = [...this.#jobs.keys()];
    for (const id of ids) this.#settle(id, false, new PoolClosedError('The pool was force-closed before the job finished.'));
    await withDeadline(Promise.all(ids.map((id) => this.#queue.remove(id).catch(() => 0))), this.#closeBound(), 'remove waiting jobs').catch(() => undefined);
  }

  /** Redis calls made while closing wait at most this long (ms): close() stays within `redisTimeout`. */
  #closeBound(): number {
    return Math.min(this.#options.connectTimeout, this.#options.redisTimeout);
  }

  async #shutdown(): Promise<void> {
    // With Redis away, the liveness deadline settles these within `redisTimeout`.
    if (this.#jobs.size > 0) await new Promise<void>((resolve) => (this.#whenIdle = resolve));
    await this.#forcing;
    this.#reconciler.stop();
    this.#liveness.stop();
    const { clients } = this.#options;
    // Never connected, or known to be away: BullMQ's close would wait for a Redis that is not coming.
    const connected = await this.#ready.then(() => true, () => false);
    const reachable = connected && !this.#liveness.expired;
    const until = Date.now() + this.#closeBound();
    if (reachable) await withDeadline(Promise.all([this.#events.close(), this.#queue.close()]), this.#closeBound(), 'close').catch(() => undefined);
    await clients.close(reachable, Math.max(1, until - Date.now()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  override on<K extends keyof DistributedPoolEvents>(event: K, listener: (...args: DistributedPoolEvents[K]) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  override once<K extends keyof DistributedPoolEvents>(event: K, listener: (...args: DistributedPoolEvents[K]) => void): this;
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.once(event, listener);
  }
}
