import type { ExitReason } from './supervisor/worker-process.js';

export type { ExitReason };

export interface WorkerSpawnEvent {
  workerId: number;
  pid: number | undefined;
}

export interface WorkerExitEvent {
  workerId: number;
  pid: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /**
   * Why it ended: `crash` when it died by itself mid-life, `killed` when something outside the
   * pool killed it (SIGKILL, SIGTERM, SIGINT or SIGHUP the pool did not send, the OOM killer),
   * `init-failure` when it failed to start; otherwise why forkpool ended it.
   */
  reason: ExitReason;
  /** What the module's `teardown()` threw, when it ran and threw (graceful exits only). */
  teardownError?: Error;
}

export interface WorkerReadyEvent {
  workerId: number;
  pid: number | undefined;
  /** ms from spawn to ready (module load and init). */
  startMs: number;
}

export interface ProgressEvent {
  jobId: number;
  value: unknown;
}

/** Timing figures in ms since the pool started (constant memory, see util/histogram.ts). */
export type { HistogramSummary } from './util/histogram.js';

export interface RunOptions {
  /** This job's time limit in ms (0 = none); overrides the pool's `timeout`. */
  timeout?: number;
  /** Cancels the job: a queued job is dropped, a running one's worker is stopped and replaced. */
  signal?: AbortSignal;
  /** A named export of the worker module to run (a task); the default export when absent. */
  name?: string;
  /** An integer: higher runs first among jobs still queued, FIFO within a priority. @default 0 */
  priority?: number;
  /** Receives each `ctx.progress(value)` of the job, in order, before the job settles. */
  onProgress?: (value: unknown) => void;
  /**
   * `[job.buffer]` for a Buffer or Uint8Array job: hands its memory over instead of copying it,
   * as postMessage's transfer list does. The caller's ArrayBuffer is detached once `run()` has
   * accepted the job (its views read as empty); the bytes are written to the worker as they are.
   * Not for the distributed mode (jobs are JSON there).
   */
  transfer?: readonly ArrayBuffer[];
}

/** What happened since the pool started: jobs by outcome, workers by how they ended. */
export interface PoolCounts {
  submitted: number;
  completed: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  retried: number;
  /** Workers that died by themselves (reason `crash`). */
  crashed: number;
  /** Workers killed from outside the pool (reason `killed`). */
  killed: number;
  spawned: number;
  exited: number;
}

export interface PoolStats extends PoolCounts {
  /** Live worker processes (starting, serving or retiring). */
  workers: number;
  starting: number;
  idle: number;
  busy: number;
  /** Jobs waiting to start: in the pool's queue, waiting to be retried, or sent ahead to a busy worker. */
  queued: number;
  /** Jobs running now (at most one per worker). */
  running: number;
  /** How long jobs ran, as measured in the workers. */
  runTime: import('./util/histogram.js').HistogramSummary;
  /** How long jobs waited from run()/add() to their start (in the pool's queue and in their worker). */
  waitTime: import('./util/histogram.js').HistogramSummary;
}
