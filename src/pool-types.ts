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
}

export interface RunOptions {
  /** This job's time limit in ms (0 = none); overrides the pool's `timeout`. */
  timeout?: number;
  /** Cancels the job: a queued job is dropped, a running one's worker is stopped and replaced. */
  signal?: AbortSignal;
}

export interface PoolStats {
  /** Live worker processes (starting, serving or retiring). */
  workers: number;
  starting: number;
  idle: number;
  busy: number;
  /** Jobs waiting to start: in the pool's queue, waiting to be retried, or sent ahead to a busy worker. */
  queued: number;
  /** Jobs running now (at most one per worker). */
  running: number;
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
