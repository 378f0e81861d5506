import { availableParallelism, hostname } from 'node:os';
import { InvalidOptionError } from '../errors.js';
import { checkOptions, describe, integer, type PoolOptions } from '../options.js';
import { Clients, type RedisConnection } from './connection.js';
import { WORKER_DEFAULTS } from './defaults.js';
import { queueName } from './producer-options.js';

/** Local pool options a host takes; retries are BullMQ's (the producer's `maxRetries`). */
type HostPoolOptions = Omit<PoolOptions, 'maxRetries' | 'callbacks' | 'callbackTimeout' | 'handleSignals' | 'maxQueue' | 'onResult'>;

export interface DistributedWorkerOptions extends HostPoolOptions {
  /** Redis: a URL, ioredis options or an ioredis client (duplicated, never closed here). */
  connection: RedisConnection;
  /** The BullMQ queue to consume. */
  queue: string;
  /** Redis key prefix of the queue, as in BullMQ. @default 'bull' */
  prefix?: string;
  /**
   * Jobs taken from Redis at once. A little above `workers` so a process never waits for a
   * Redis round trip between jobs. @default 2 * workers
   */
  concurrency?: number;
  /** BullMQ job lock (ms); a dead host's jobs are free again this long after its last renewal. @default 3000 */
  lockDuration?: number;
  /** How often (ms) this host looks for jobs of dead hosts. @default 1000 */
  stalledInterval?: number;
  /** Host losses a job survives before it fails with ERR_WORKER_HOST_LOST. @default 3 */
  maxStalledCount?: number;
  /** This host's name in BullMQ (shown in dashboards, stored on each job). @default `${hostname}:${pid}` */
  name?: string;
  /** How long (ms) the first worker process may take to start before the host gives up. @default 30000 */
  startTimeout?: number;
  /**
   * How long (ms) the host waits for Redis at start, and at close for reporting the results of
   * its last jobs: results it cannot report by then are given up (the `lost` event; their jobs
   * run again on another host if Redis still has them). While running, the host waits for Redis
   * as long as it takes. @default 30000
   */
  redisTimeout?: number;
}

export interface NormalizedWorkerOptions {
  clients: Clients;
  queue: string;
  prefix: string;
  concurrency: number;
  lockDuration: number;
  stalledInterval: number;
  maxStalledCount: number;
  name: string;
  startTimeout: number;
  redisTimeout: number;
  pool: HostPoolOptions;
}

const OWN = new Set(['connection', 'queue', 'prefix', 'concurrency', 'lockDuration', 'stalledInterval', 'maxStalledCount', 'name', 'startTimeout', 'redisTimeout']);
const REFUSED: Record<string, string> = {
  maxRetries: 'retries are set by the producer ("maxRetries" of DistributedPool, --retries of forkpool run) and run as BullMQ attempts, possibly on another host.',
  callbacks: 'callbacks cannot reach the producer through Redis; see the README section "Scale out on BullMQ".',
  callbackTimeout: 'callbacks are not available to remote jobs.',
  handleSignals: 'the host handles SIGTERM itself through close(); `forkpool worker` does it for you.',
  maxQueue: 'the host takes only "concurrency" jobs from Redis at a time.',
  onResult: 'map results at the producer ("onResult" of DistributedPool).',
};

export function normalizeWorkerOptions(options: DistributedWorkerOptions): NormalizedWorkerOptions {
  checkOptions(options, '{ worker: "./worker.js", connection: "redis://127.0.0.1:6379", queue: "jobs" }');
  const pool: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) {
    if (Object.hasOwn(REFUSED, key)) throw new InvalidOptionError(key, `not a worker host option: ${REFUSED[key]}`);
    if (!OWN.has(key)) pool[key] = value;
  }
  // The most processes the local pool may run (its own default is one per core).
  const processes = integer('maxWorkers', options.maxWorkers, 1, integer('workers', options.workers, 1, availableParallelism()));
  const lockDuration = integer('lockDuration', options.lockDuration, 100, WORKER_DEFAULTS.lockDuration);
  const name = options.name ?? `${hostname()}:${process.pid}`;
  if (typeof name !== 'string' || name === '') throw new InvalidOptionError('name', `expected a non-empty string, got ${describe(name)}.`);
  const prefix = options.prefix ?? 'bull';
  if (typeof prefix !== 'string' || prefix === '') throw new InvalidOptionError('prefix', `expected a non-empty string, got ${describe(prefix)}.`);
  return {
    queue: queueName(options.queue),
    prefix,
    concurrency: integer('concurrency', options.concurrency, 1, 2 * processes),
    lockDuration,
    stalledInterval: integer('stalledInterval', options.stalledInterval, 100, WORKER_DEFAULTS.stalledInterval),
    maxStalledCount: integer('maxStalledCount', options.maxStalledCount, 0, WORKER_DEFAULTS.maxStalledCount),
    name,
    startTimeout: integer('startTimeout', options.startTimeout, 1, 30_000),
    redisTimeout: integer('redisTimeout', options.redisTimeout, 1, WORKER_DEFAULTS.redisTimeout),
    pool: pool as unknown as HostPoolOptions,
    clients: new Clients(options.connection),
  };
}
