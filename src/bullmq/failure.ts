import { lastErrorRecord } from './envelope.js';
import { reviveError, STALLED_REASON, WorkerHostLostError } from './errors.js';

/**
 * The error a failed job rejects with at the producer: the host's error record (with its
 * forkpool code) when the host wrote one, ERR_WORKER_HOST_LOST when BullMQ gave up after
 * host losses, else BullMQ's reason as it is (a host that is not forkpool's failed the job).
 */
export function failureFromRedis(failedReason: string | null | undefined, logs: readonly string[]): unknown {
  const reason = failedReason ?? 'unknown reason';
  const record = lastErrorRecord(logs);
  // A record left by an earlier attempt must not explain a later host loss.
  if (reason === STALLED_REASON) return new WorkerHostLostError(reason);
  if (record) return reviveError(record);
  return new Error(reason);
}
