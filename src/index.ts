export { Pool, type Outcome, type CloseOptions, type PoolEvents } from './pool.js';
export type { PoolOptions, CallbackHandler, CallbackInfo, WorkerStdout } from './options.js';
export type { RunOptions, PoolStats, WorkerExitEvent, WorkerSpawnEvent, WorkerReadyEvent, ProgressEvent, HistogramSummary, ExitReason } from './pool-types.js';
export type { TaskName, TaskJobOf, TaskResultOf } from './types.js';
export type { JobOf, ResultOf } from './types.js';
export type { WorkContext } from './child/types.js';
export * from './prefork/index.js';
export * from './errors.js';
