/**
 * forkpool on BullMQ: the same pool across many machines. BullMQ and ioredis are optional peer
 * dependencies, imported only from here (`forkpool/bullmq`).
 */
export { DistributedPool, type DistributedPoolEvents } from './pool.js';
export type { DistributedRunOptions } from './run-options.js';
export type { DistributedPoolOptions } from './producer-options.js';
export { DistributedWorker, type DistributedWorkerEvents } from './worker.js';
export type { DistributedWorkerOptions } from './worker-options.js';
export type { RedisConnection } from './connection.js';
export { WORKER_DEFAULTS, PRODUCER_DEFAULTS } from './defaults.js';
export { JobLostError, RedisUnavailableError, WorkerHostLostError } from './errors.js';
