import { randomBytes } from 'node:crypto';
import { Queue, QueueEvents, type JobsOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import { AbortError, InvalidOptionError, PoolClosedError, UnserializableError } from '../errors.js';
import type { CloseOptions } from '../pool.js';
import type { RunOptions } from '../scheduler/engine.js';
import type { JobOf, ResultOf } from '../types.js';
import { OutcomePool } from '../queue/outcome-pool.js';
import { withDeadline } from './connection.js';
import { JOB_NAME } from './defaults.js';
import type { Envelope } from './envelope.js';
import { failureFromRedis } from './failure.js';
import { normalizeProducerOptions, type DistributedPoolOptions, type NormalizedProducerOptions } from './producer-options.js';
import { Reconciler } from './reconciler.js';

interface PendingJob {
  resolve(value: unknown): void;
  reject(reason: unknown): void;
  /** Set once the job is in Redis: only then may its state be polled. */
  added: boolean;
  release?: (() => void) | undefined;
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
    this.#events = new QueueEvents(queue, { connection: clients.client(), prefix });
    this.#queue.on('error', (error) => this.#report(error));
    this.#events.on('error', (error) => this.#report(error));
    this.#events.on('completed', ({ jobId, returnvalue }) => this.#settle(jobId, true, returnvalue));
    this.#events.on('failed', ({ jobId, failedReason }) => void this.#readFailure(jobId, failedReason));
    this.#ready = withDeadline(Promise.all([this.#queue.waitUntilReady(), this.#events.waitUntilReady()]).then(() => undefined), connectTimeout, 'connect');
    // Jobs report a failed connection; this only keeps it from being an unhandled rejection.
    this.#ready.catch(() => undefined);
    this.#reconciler = new Reconciler({
      client: this.#client,
      jobKey: (id) => this.#queue.toKey(id),
      interval: this.#options.reconcileInterval,
      timeout: connectTimeout,
      ids: () => this.#addedIds(),
      completed: (id, value) => this.#settle(id, true, value),
      failed: (id, failedReason) => void this.#readFailure(id, failedReason),
      lost: (id, error) => this.#settle(id, false, error),
    });
  }

  /** Resolves once Redis is connected; rejects with ERR_REDIS_UNAVAILABLE within `connectTimeout`. */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Runs one job on some host and resolves with its (mapped) result. Jobs and results are JSON. */
  run(job: JobOf<W>, options: RunOptions = {}): Promise<Mapped> {
    if (this.#closing) return Promise.reject(new PoolClosedError());
    const timeout = options.timeout ?? this.#options.timeout;
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0) {
      return Promise.reject(new InvalidOptionError('timeout', `expected an integer >= 0 (ms), got ${String(timeout)}.`));
    }
    const { signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) return Promise.reject(new InvalidOptionError('signal', 'expected an AbortSignal.'));
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    try {
      if (JSON.stringify(job) === undefined) throw new TypeError(`${typeof job} is not a JSON value`);
    } catch (error) {
      return Promise.reject(new UnserializableError('job (through Redis, as JSON)', error));
    }
    const id = this.#idPrefix + this.#nextId++;
    const result = new Promise<unknown>((resolve, reject) => {
      const pending: PendingJob = { resolve, reject, added: false };
      if (signal) {
        // A job still waiting is removed; one already running on a host finishes there, unheard.
        const onAbort = () => {
          void this.#queue.remove(id).catch(() => undefined);
          this.#settle(id, false, new AbortError(signal.reason));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        pending.release = () => signal.removeEventListener('abort', onAbort);
      }
      this.#jobs.set(id, pending);
    });
    this.#batch.push({ name: JOB_NAME, data: timeout > 0 ? { job, timeout } : { job }, opts: this.#jobOptions(id) });
    this.#scheduleFlush();
    const onResult = this.#onResult;
    return (onResult ? result.then((value) => onResult(value as ResultOf<W>, job)) : result) as Promise<Mapped>;
  }

  #jobOptions(jobId: string): JobsOptions {
    const { maxRetries, retryDelay, keepResults } = this.#options;
    return {
      jobId,
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
      await withDeadline(this.#queue.addBulk(batch), this.#options.connectTimeout, 'add jobs');
      for (const { opts } of batch) {
        const id = opts.jobId as string;
        const pending = this.#jobs.get(id);
        if (pending) pending.added = true;
        // Settled while the add was in flight: its earlier remove() found nothing to remove.
        else void this.#queue.remove(id).catch(() => undefined);
      }
      this.#reconciler.start();
    } catch (error) {
      for (const { opts } of queued) this.#settle(opts.jobId as string, false, error);
    }
  }

  *#addedIds(): Iterable<string> {
    for (const [id, pending] of this.#jobs) if (pending.added) yield id;
  }

  async #readFailure(id: string, failedReason: string): Promise<void> {
    if (!this.#jobs.has(id)) return;
    try {
      const { logs } = await withDeadline(this.#queue.getJobLogs(id), this.#options.connectTimeout, 'read a failed job');
      this.#settle(id, false, failureFromRedis(failedReason, logs));
    } catch {
      // Left pending: the reconciler reads the job's state again on its next round.
    }
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
    await withDeadline(Promise.all(ids.map((id) => this.#queue.remove(id).catch(() => 0))), this.#options.connectTimeout, 'remove waiting jobs').catch(() => undefined);
  }

  async #shutdown(): Promise<void> {
    if (this.#jobs.size > 0) await new Promise<void>((resolve) => (this.#whenIdle = resolve));
    await this.#forcing;
    this.#reconciler.stop();
    const { connectTimeout, clients } = this.#options;
    // Never connected: BullMQ's close would wait for a connection that is not coming.
    const connected = await this.#ready.then(() => true, () => false);
    if (connected) await withDeadline(Promise.all([this.#events.close(), this.#queue.close()]), connectTimeout, 'close').catch(() => undefined);
    await clients.close(connected);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
