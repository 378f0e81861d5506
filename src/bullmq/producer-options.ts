import { InvalidOptionError } from '../errors.js';
import { checkOptions, describe, integer } from '../options.js';
import { Clients, type RedisConnection } from './connection.js';
import { PRODUCER_DEFAULTS } from './defaults.js';

export interface DistributedPoolOptions<Result = unknown, Mapped = Result> {
  /**
   * Redis: a URL (`redis://user:pass@host:6379/0`, `rediss://` for TLS), ioredis options, or an
   * ioredis client (duplicated, never closed by the pool).
   */
  connection: RedisConnection;
  /** The BullMQ queue name; worker hosts started with the same name run the jobs. */
  queue: string;
  /** Redis key prefix of the queue, as in BullMQ. @default 'bull' */
  prefix?: string;
  /** Per-job time limit (ms) applied by the hosts; 0 = the hosts' own `--timeout`. @default 0 */
  timeout?: number;
  /**
   * How many times a job whose worker process crashed is retried (each retry may run on another
   * host). Maps onto BullMQ `attempts` (= maxRetries + 1). Host losses are counted separately,
   * by the hosts' `maxStalledCount`. @default 0
   */
  maxRetries?: number;
  /** Delay (ms) before a crashed job's retry; doubles on each retry (BullMQ exponential backoff). 0 = at once. @default 0 */
  retryDelay?: number;
  /** Maps each job's value before it is returned or collected, as the local Pool's `onResult`. */
  onResult?: (value: Result, job: unknown) => Mapped;
  /** Seconds finished jobs stay in Redis so their outcome can be read. @default 3600 */
  keepResults?: number;
  /** How often (ms) the state of jobs not heard of is read from Redis. @default 2000 */
  reconcileInterval?: number;
  /** Bound (ms) on the first connection to Redis (`ready()`) and on each Redis read the pool waits for. @default 10000 */
  connectTimeout?: number;
  /**
   * How long (ms) Redis may be unreachable or unanswering mid-run before every pending job fails
   * with ERR_REDIS_UNAVAILABLE (and new jobs fail at once until it answers again). `close()`
   * returns within this bound too. Redis back sooner: the run carries on. @default 30000
   */
  redisTimeout?: number;
  /**
   * Not supported through Redis: a callback is a round trip to a live producer while the job runs,
   * which a queue whose producer and hosts come and go independently cannot promise. Passing it
   * fails with ERR_INVALID_OPTION; see the README section "Scale out on BullMQ".
   */
  callbacks?: never;
}

export interface NormalizedProducerOptions {
  clients: Clients;
  queue: string;
  prefix: string;
  timeout: number;
  maxRetries: number;
  retryDelay: number;
  keepResults: number;
  reconcileInterval: number;
  connectTimeout: number;
  redisTimeout: number;
}

const KNOWN = new Set(['connection', 'queue', 'prefix', 'timeout', 'maxRetries', 'retryDelay', 'onResult', 'keepResults', 'reconcileInterval', 'connectTimeout', 'redisTimeout', 'callbacks']);

export function queueName(value: unknown, option = 'queue'): string {
  if (typeof value !== 'string' || value === '' || value.includes(':')) {
    throw new InvalidOptionError(option, `expected a queue name without ":" such as "images", got ${describe(value)}.`);
  }
  return value;
}

export function normalizeProducerOptions(options: DistributedPoolOptions<any, any>): NormalizedProducerOptions {
  checkOptions(options, '{ connection: "redis://127.0.0.1:6379", queue: "jobs" }', KNOWN);
  if (options.callbacks !== undefined) {
    throw new InvalidOptionError(
      'callbacks',
      'callbacks cannot reach a producer through Redis. Return what the producer needs in the job result, or have the job write to a shared store (Redis, a database) the producer reads.',
    );
  }
  if (options.onResult !== undefined && typeof options.onResult !== 'function') {
    throw new InvalidOptionError('onResult', `expected a function, got ${describe(options.onResult)}.`);
  }
  const prefix = options.prefix ?? 'bull';
  if (typeof prefix !== 'string' || prefix === '') throw new InvalidOptionError('prefix', `expected a non-empty string, got ${describe(prefix)}.`);
  const queue = queueName(options.queue);
  return {
    queue,
    prefix,
    timeout: integer('timeout', options.timeout, 0, 0),
    maxRetries: integer('maxRetries', options.maxRetries, 0, 0),
    retryDelay: integer('retryDelay', options.retryDelay, 0, 0),
    keepResults: integer('keepResults', options.keepResults, 1, PRODUCER_DEFAULTS.keepResults),
    reconcileInterval: integer('reconcileInterval', options.reconcileInterval, 10, PRODUCER_DEFAULTS.reconcileInterval),
    connectTimeout: integer('connectTimeout', options.connectTimeout, 1, PRODUCER_DEFAULTS.connectTimeout),
    redisTimeout: integer('redisTimeout', options.redisTimeout, 1, PRODUCER_DEFAULTS.redisTimeout),
    // Last: it is the only step that allocates (clients are made lazily, but keep validation first).
    clients: new Clients(options.connection),
  };
}
