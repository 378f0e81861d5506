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
}

export type WorkFunction = (job: any, ctx: WorkContext) => unknown;
export type InitFunction = (initData: any) => unknown;

export interface WorkerHandlers {
  work: WorkFunction;
  init?: InitFunction | undefined;
}

export interface InitMessage {
  workerId: number;
  initData: unknown;
  maxMessageSize: number;
  /** Send an RSS frame after every job (for maxMemoryPerWorker). */
  reportRss: boolean;
}
