import { PoolClosedError, QueueFullError } from './errors.js';
import { normalizeOptions, type ChildOverride, type NormalizedOptions, type PoolOptions } from './options.js';
import { PoolEngine } from './pool-engine.js';
import type { PoolStats, ProgressEvent, RunOptions, WorkerExitEvent, WorkerReadyEvent, WorkerSpawnEvent } from './pool-types.js';
import { OutcomePool } from './queue/outcome-pool.js';
import type { Outcome } from './queue/outcomes.js';
import { installSignalHandlers } from './signals.js';
import type { JobOf, ResultOf, TaskJobOf, TaskName, TaskResultOf } from './types.js';

export type { Outcome };

export interface CloseOptions {
  /** Kill every worker now (busy ones too); unsettled jobs reject with ERR_POOL_CLOSED. */
  force?: boolean;
}

export interface PoolEvents {
  workerSpawn: [WorkerSpawnEvent];
  workerExit: [WorkerExitEvent];
  /** A worker loaded its module, ran init and is ready for jobs. */
  workerReady: [WorkerReadyEvent];
  /** A running job called `ctx.progress(value)`. */
  progress: [ProgressEvent];
  error: [Error];
  drain: [];
}

/**
 * A pool of worker processes running one module.
 *
 * `W` is the worker module's type (`typeof import('./worker.js')`) or its work function's type:
 * job and result types flow from it. `Mapped` is what `onResult` maps results to.
 *
 * @example
 * const pool = new Pool<typeof import('./square.js')>({ worker: new URL('./square.js', import.meta.url) });
 * const nine = await pool.run(3);
 * await pool.close();
 */
export class Pool<W = any, Mapped = ResultOf<W>> extends OutcomePool<JobOf<W>, Mapped> {
  readonly #engine: PoolEngine;
  readonly #options: NormalizedOptions;
  readonly #onResult: ((value: ResultOf<W>, job: JobOf<W>) => Mapped) | undefined;
  readonly #roomWaiters: Array<() => void> = [];
  #removeSignalHandlers: (() => void) | undefined;

  /** `child` is for the compat facades only: it replaces the standard worker entry. */
  constructor(options: PoolOptions<ResultOf<W>, Mapped>, child?: ChildOverride) {
    super();
    this.#options = { ...normalizeOptions(options), child };
    this.#onResult = options.onResult as ((value: ResultOf<W>, job: JobOf<W>) => Mapped) | undefined;
    // Listeners run on the next tick: a throwing listener must not unwind the engine mid-step
    // (it surfaces as an uncaught exception, as for any EventEmitter, with the pool consistent).
    const later = (emit: () => void) => process.nextTick(emit);
    this.#engine = new PoolEngine(this.#options, {
      workerSpawn: (event) => later(() => this.emit('workerSpawn', event)),
      workerExit: (event) => later(() => this.emit('workerExit', event)),
      workerReady: (event) => later(() => this.emit('workerReady', event)),
      progress: (event) => {
        if (this.listenerCount('progress') > 0) later(() => this.emit('progress', event));
      },
      // An unhandled 'error' event would throw: report only to listeners.
      error: (error) =>
        later(() => {
          if (this.listenerCount('error') > 0) this.emit('error', error);
        }),
      // Called once each time the queue goes from full to having room.
      drain: () => {
        if (this.#roomWaiters.length > 0 || this.listenerCount('drain') > 0) later(() => this.#onDrain());
      },
    });
    if (this.#options.handleSignals) {
      this.#removeSignalHandlers = installSignalHandlers(
        () => void this.close(),
        () => void this.close({ force: true }),
      );
    }
  }

  /**
   * Runs one job and resolves with its (mapped) result. With `{ name }` it runs that named export
   * of the worker module (a task), typed from the module; `onResult` maps the default task only.
   */
  run<N extends TaskName<W>>(job: TaskJobOf<W, N>, options: RunOptions & { name: N }): Promise<TaskResultOf<W, N>>;
  run(job: JobOf<W>, options?: RunOptions & { name?: undefined | 'default' }): Promise<Mapped>;
  run(job: unknown, options?: RunOptions): Promise<unknown> {
    const result = this.#engine.submit(job, options);
    const onResult = this.#onResult;
    if (!onResult || (options?.name !== undefined && options.name !== 'default')) return result;
    return result.then((value) => onResult(value as ResultOf<W>, job as JobOf<W>));
  }

  /** `add` with run options (`name`, `priority`, `timeout`, ...) for every job given. */
  addWith(options: RunOptions, ...jobs: unknown[]): void {
    this.assertRoomFor(jobs.length);
    for (const job of jobs) this.track(job as JobOf<W>, this.run(job as JobOf<W>, options as RunOptions & { name: undefined }) as Promise<Mapped>);
  }

  /** Resolves once `minWorkers` workers are ready (warm the pool before taking traffic); rejects with ERR_WORKER_INIT if it gives up. */
  ready(): Promise<void> {
    return this.#engine.ready();
  }

  /** `add` adds none when they do not all fit, or after close. */
  protected assertRoomFor(count: number): void {
    if (this.#engine.closing) throw new PoolClosedError();
    if (this.#engine.room() < count) throw new QueueFullError(this.#options.maxQueue);
  }

  /** Resolves when the queue has room for another job (see `maxQueue`): await it before `run` in a producer loop. */
  onRoom(): Promise<void> {
    return this.drained();
  }

  /** The older name of `onRoom()` (it waits for room, not for the queue to empty); kept for compatibility. */
  drained(): Promise<void> {
    if (this.#engine.room() > 0 || this.#engine.closing) return Promise.resolve();
    this.#engine.waitForRoom();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  #onDrain(): void {
    if (this.#engine.room() <= 0 && !this.#engine.closing) return;
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
    this.emit('drain');
  }

  /**
   * Graceful by default: no new jobs; queued and running ones finish; every worker exits and is
   * reaped. With `{ force: true }` workers are killed at once and unsettled jobs reject.
   * Outcomes stay collectable during and after close.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    const closed = this.#engine.close(options.force === true);
    for (const resolve of this.#roomWaiters.splice(0)) resolve();
    await closed;
    this.#removeSignalHandlers?.();
    this.#removeSignalHandlers = undefined;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  stats(): PoolStats {
    return this.#engine.stats();
  }

  /** Pids of the live workers. */
  get pids(): number[] {
    return this.#engine.pids();
  }

  override on<K extends keyof PoolEvents>(event: K, listener: (...args: PoolEvents[K]) => void): this;
  override on(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.on(event, listener);
  }

  override once<K extends keyof PoolEvents>(event: K, listener: (...args: PoolEvents[K]) => void): this;
  override once(event: string | symbol, listener: (...args: any[]) => void): this {
    return super.once(event, listener);
  }
}
