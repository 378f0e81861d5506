/** What a worker's `work(job, ctx)` receives besides the job. */
export interface WorkContext {
  /** Aborted when the job times out, is cancelled, or the pool is force-closed. */
  readonly signal: AbortSignal;
  /** The job's id, unique within its pool. */
  readonly jobId: number;
  /** The worker's id, unique within its pool (1, 2, ...; a replacement gets a new id). */
  readonly workerId: number;
  /** Calls a parent callback by name and resolves with its return value. */
  callback<T = unknown>(name: string, payload?: unknown): Promise<T>;
  /**
   * Reports progress: fire and forget, delivered in order to the job's `onProgress` and the
   * pool's `progress` event before the job settles. Costs one small write, not a round trip.
   */
  progress(value: unknown): void;
}

export type WorkFunction = (job: any, ctx: WorkContext) => unknown;
export type InitFunction = (initData: any) => unknown;

export type TeardownFunction = () => unknown;

export interface WorkerHandlers {
  work: WorkFunction;
  init?: InitFunction | undefined;
  /** Runs once before the worker exits gracefully (recycle, memory, idle, close). */
  teardown?: TeardownFunction | undefined;
  /** Named tasks: the module's other exported functions (`run(job, { name })`). */
  tasks?: ReadonlyMap<string, WorkFunction> | undefined;
}

export interface InitMessage {
  workerId: number;
  initData: unknown;
  maxMessageSize: number;
  /** Send an RSS frame after every job (for maxMemoryPerWorker). */
  reportRss: boolean;
  /**
   * The pool already sends jobs ahead: start the reclaim thread once ready, not when jobs first
   * queue up here (this worker's first job may be a long one with others sent ahead of it).
   */
  reclaimAtOnce: boolean;
}
