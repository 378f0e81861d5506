import { EventEmitter } from 'node:events';
import { UnrecoverableError, WaitingError, Worker, type Job, type JobProgress } from 'bullmq';
import { toErrorRecord } from '../channel/error-wire.js';
import { UnserializableError, WorkerCrashedError, WorkerInitError } from '../errors.js';
import { Pool } from '../pool.js';
import { withDeadline } from './connection.js';
import { failedReasonOf, readEnvelope } from './envelope.js';
import type { DistributedRunOptions } from './run-options.js';
import { normalizeWorkerOptions, type DistributedWorkerOptions, type NormalizedWorkerOptions } from './worker-options.js';

export interface DistributedWorkerEvents {
  /** The host can run no more jobs (its worker module no longer starts); it is closing. */
  error: [Error];
  /** A job finished here (whatever its outcome). */
  settled: [{ id: string; ok: boolean }];
  /**
   * While closing: a job finished here but its outcome could not be written to Redis within
   * `redisTimeout`. The outcome is given up; the job runs again on another host if Redis still
   * has it (its lock expires), and is gone if Redis lost it.
   */
  lost: [{ id: string; ok: boolean }];
}

/**
 * A worker host: a plain BullMQ `Worker` whose processor runs each job on a local forkpool
 * `Pool` (process isolation, timeouts that kill and replace the process, crash errors,
 * recycling). BullMQ's own sandbox is not used: it has no job timeout, reuses children forever
 * and can leave an orphan child behind when its parent is killed.
 *
 * @example
 * const host = await DistributedWorker.start({ worker: './square.js', connection: 'redis://10.0.0.5:6379', queue: 'squares' });
 * process.once('SIGTERM', () => void host.close());
 */
export class DistributedWorker extends EventEmitter {
  readonly #options: NormalizedWorkerOptions;
  readonly #pool: Pool;
  readonly #worker: Worker;
  #closed: Promise<void> | undefined;
  #forced = false;
  /** Jobs whose processor is running here. */
  #running = 0;
  /** Jobs finished here whose outcome BullMQ has not written to Redis yet (id → ok). */
  readonly #unreported = new Map<string, boolean>();
  /** While closing: resolves once no processor has run for `redisTimeout` ms. */
  #quiet: { timer?: NodeJS.Timeout | undefined; since?: number | undefined; resolve(): void } | undefined;

  private constructor(options: NormalizedWorkerOptions) {
    super();
    this.#options = options;
    this.#pool = new Pool({ ...options.pool, maxRetries: 0 });
    this.#pool.on('error', (error) => this.#fatal(error));
    const { queue, prefix, concurrency, lockDuration, stalledInterval, maxStalledCount, name, clients } = options;
    this.#worker = new Worker(queue, (job, token) => this.#process(job, token), {
      connection: clients.client(),
      prefix,
      concurrency,
      lockDuration,
      stalledInterval,
      maxStalledCount,
      name,
      autorun: false,
    });
    this.#worker.on('error', (error) => this.#report(error));
    // BullMQ emits these once the outcome is in Redis.
    this.#worker.on('completed', (job) => this.#unreported.delete(job.id ?? ''));
    this.#worker.on('failed', (job) => this.#unreported.delete(job?.id ?? ''));
  }

  /** Starts the local processes, then takes jobs. Rejects with ERR_WORKER_INIT when the module cannot start. */
  static async start(options: DistributedWorkerOptions): Promise<DistributedWorker> {
    const host = new DistributedWorker(normalizeWorkerOptions(options));
    try {
      await host.#poolReady();
      await withDeadline(host.#worker.waitUntilReady(), host.#options.redisTimeout, 'start the worker host');
    } catch (error) {
      // Nothing was taken from Redis: stop the processes and drop the connections without
      // BullMQ's close, which would wait for a connection that may never come.
      await host.#pool.close({ force: true });
      void host.#worker.close(true).catch(() => undefined);
      await host.#options.clients.close(false);
      throw error;
    }
    void host.#worker.run().catch((error: unknown) => host.#report(error as Error));
    return host;
  }

  /**
   * Waits for the local pool's processes to be ready (`pool.ready()` rejects with ERR_WORKER_INIT
   * when the module cannot start), so a broken host takes no job from Redis; `startTimeout` bounds it.
   */
  async #poolReady(): Promise<void> {
    const { startTimeout } = this.#options;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new WorkerInitError(`No worker process became ready within ${startTimeout} ms: raise "startTimeout" if init() is slow.`)), startTimeout);
    });
    try {
      await Promise.race([this.#pool.ready(), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #process(job: Job, token: string | undefined): Promise<unknown> {
    this.#running++;
    this.#idleChanged();
    try {
      return await this.#runJob(job, token);
    } finally {
      this.#running--;
      this.#idleChanged();
    }
  }

  async #runJob(job: Job, token: string | undefined): Promise<unknown> {
    const { job: input, timeout, name } = readEnvelope(job.data);
    const options: DistributedRunOptions = { onProgress: (progress) => this.#progress(job, progress) };
    if (timeout !== undefined) options.timeout = timeout;
    if (name !== undefined) options.name = name;
    let value: unknown;
    try {
      // The task name comes from the job at run time: the untyped form of run().
      value = await (this.#pool.run as (job: unknown, options?: DistributedRunOptions) => Promise<unknown>).call(this.#pool, input, options);
    } catch (error) {
      return this.#fail(job, token, error);
    }
    try {
      JSON.stringify(value);
    } catch (error) {
      return this.#fail(job, token, new UnserializableError('result (through Redis, as JSON)', error));
    }
    this.#finished(job, true);
    return value;
  }

  /**
   * `ctx.progress(value)` becomes BullMQ job progress (the producer hears it as a `progress`
   * event). Fire and forget: updates go out on one connection, in order, ahead of the job's
   * outcome. A value JSON cannot carry is not sent; a Redis error is the connection's to report.
   */
  #progress(job: Job, value: unknown): void {
    let json: string | undefined;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined;
    }
    if (json === undefined) return;
    void job.updateProgress(value as JobProgress).catch(() => undefined);
  }

  #finished(job: Job, ok: boolean): void {
    this.#unreported.set(job.id ?? '', ok);
    this.emit('settled', { id: job.id ?? '', ok });
  }

  async #fail(job: Job, token: string | undefined, error: unknown): Promise<never> {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_POOL_CLOSED' || code === 'ERR_WORKER_INIT') {
      // This host stopped (forced close) or broke: the job is not at fault. It goes back to the
      // queue untouched for another host; if even that fails, its lock expires and the stalled
      // check gives it back.
      if (code === 'ERR_WORKER_INIT') this.#fatal(error as Error);
      await withDeadline(job.moveToWait(token), this.#options.redisTimeout, 'hand a job back').catch(() => undefined);
      throw new WaitingError();
    }
    // The attempt count is BullMQ's (across hosts), not the local pool's.
    if (error instanceof WorkerCrashedError) error = new WorkerCrashedError({ ...error, attempts: job.attemptsMade + 1 });
    // BullMQ keeps only the message; the record in it lets the producer rebuild the whole error.
    const reason = failedReasonOf(error instanceof Error ? error.message : String(error), toErrorRecord(error));
    this.#finished(job, false);
    // Only a crashed process is retried (as locally); BullMQ retries it while attempts remain.
    if (error instanceof WorkerCrashedError) throw new Error(reason);
    throw new UnrecoverableError(reason);
  }

  #fatal(error: Error): void {
    this.#report(error);
    void this.close();
  }

  #report(error: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  /** Pids of the local worker processes. */
  get pids(): number[] {
    return this.#pool.pids;
  }

  /**
   * Graceful by default: take no more jobs, let the running ones finish and report, then stop
   * the processes. `{ force: true }`: stop the processes now and hand their jobs back to the
   * queue for other hosts (nothing taken is lost either way).
   */
  close(options: { force?: boolean } = {}): Promise<void> {
    if (options.force && !this.#forced) {
      this.#forced = true;
      void this.#pool.close({ force: true });
    }
    this.#closed ??= this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    // BullMQ's close takes no more jobs and waits for the running processors (a forced pool close
    // makes them end at once), then for their outcomes to reach Redis: that part is bounded.
    const closing = this.#worker.close().catch((error: unknown) => this.#report(error as Error));
    const quiet = new Promise<void>((resolve) => (this.#quiet = { resolve }));
    this.#idleChanged();
    const reported = await Promise.race([closing.then(() => true), quiet.then(() => false)]);
    clearTimeout(this.#quiet?.timer);
    if (!reported) {
      for (const [id, ok] of this.#unreported) this.emit('lost', { id, ok });
      this.#unreported.clear();
    }
    await this.#pool.close();
    // Dropping the sockets fails whatever BullMQ still waits for, so its close ends too. A QUIT
    // gets what is left of the same `redisTimeout`.
    const left = this.#options.redisTimeout - (Date.now() - (this.#quiet?.since ?? Date.now()));
    await this.#options.clients.close(reported, Math.max(1, left));
  }

  /** While closing, `redisTimeout` counts from the moment no job runs here (jobs finish first, however long). */
  #idleChanged(): void {
    const quiet = this.#quiet;
    if (!quiet) return;
    clearTimeout(quiet.timer);
    quiet.timer = this.#running === 0 ? setTimeout(quiet.resolve, this.#options.redisTimeout) : undefined;
    quiet.since = this.#running === 0 ? Date.now() : undefined;
  }
}
