import { brandError } from '../error-brand.js';
import { fromErrorRecord, type ErrorRecord } from '../channel/error-wire.js';
import {
  AbortError,
  CallbackFailedError,
  CallbackTimeoutError,
  CallbackUnknownError,
  ForkpoolError,
  JobTimeoutError,
  MessageTooLargeError,
  PoolClosedError,
  TaskUnknownError,
  UnserializableError,
  WorkerCrashedError,
  WorkerInitError,
} from '../errors.js';

/** Redis could not be reached (or answered an error) while the pool needed it. */
export class RedisUnavailableError extends ForkpoolError {
  static {
    brandError(RedisUnavailableError, 'ERR_REDIS_UNAVAILABLE');
  }

  declare readonly code: 'ERR_REDIS_UNAVAILABLE';
  constructor(what: string, cause?: unknown) {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    super(
      'ERR_REDIS_UNAVAILABLE',
      `Redis was not available to ${what}${reason}. Check the "connection" URL (e.g. redis://127.0.0.1:6379) and that redis-server is running and reachable from this machine.`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'RedisUnavailableError';
  }
}

/**
 * The job was on worker hosts that died (SIGKILL, power loss, network partition) more times than
 * the hosts' `maxStalledCount` allows, so BullMQ failed it for good.
 */
export class WorkerHostLostError extends ForkpoolError {
  static {
    brandError(WorkerHostLostError, 'ERR_WORKER_HOST_LOST');
  }

  declare readonly code: 'ERR_WORKER_HOST_LOST';
  constructor(detail: string) {
    super(
      'ERR_WORKER_HOST_LOST',
      `The job's worker host stopped renewing its lock too many times (${detail}). A host was killed or cut off while running it; raise "maxStalledCount" (forkpool worker --max-stalled-count) if hosts are expected to die this often.`,
    );
    this.name = 'WorkerHostLostError';
  }
}

/** The job vanished from Redis before its outcome was read (removed by hand, evicted, flushed). */
export class JobLostError extends ForkpoolError {
  static {
    brandError(JobLostError, 'ERR_JOB_LOST');
  }

  declare readonly code: 'ERR_JOB_LOST';
  readonly jobId: string;
  constructor(jobId: string) {
    super(
      'ERR_JOB_LOST',
      `Job ${jobId} is no longer in Redis, so its outcome is unknown. Something removed it before it was read (Redis restarted without persistence, queue.obliterate/clean, FLUSHDB, eviction under maxmemory): turn on Redis persistence (appendonly yes), raise "keepResults" and use a "noeviction" maxmemory-policy.`,
    );
    this.name = 'JobLostError';
    this.jobId = jobId;
  }
}

const CLASSES: Record<string, { prototype: object }> = {
  AbortError,
  CallbackFailedError,
  CallbackTimeoutError,
  CallbackUnknownError,
  JobTimeoutError,
  MessageTooLargeError,
  PoolClosedError,
  TaskUnknownError,
  UnserializableError,
  WorkerCrashedError,
  WorkerInitError,
};

/**
 * Rebuilds an error that crossed Redis as a record. forkpool's own errors get their class back
 * (so `instanceof JobTimeoutError` and narrowing on `code` work as with a local pool); anything
 * else comes back as `fromErrorRecord` builds it (name, message, stack, own properties).
 */
export function reviveError(record: ErrorRecord): unknown {
  const error = fromErrorRecord(record);
  const Class = CLASSES[record.name];
  if (Class && typeof record.props['code'] === 'string' && error instanceof Error) {
    // The class's prototype carries its brand: no own brand is needed for other copies' instanceof.
    Object.setPrototypeOf(error, Class.prototype);
  }
  return error;
}
