import { recordOf } from './envelope.js';
import { reviveError, WorkerHostLostError } from './errors.js';

/**
 * The error a failed job rejects with at the producer: the host's error record (with its
 * forkpool code) when a forkpool host failed it; ERR_WORKER_HOST_LOST when no host failed it
 * but its hosts were lost (`stalledCount` > 0: BullMQ's stalled checker gave up on it); else
 * BullMQ's reason as it is (a host that is not forkpool's failed the job).
 *
 * `stalledCount` is read only when there is no record (it costs a round trip): undefined then.
 */
export function failureFromReason(failedReason: string | null | undefined, stalledCount?: number): unknown {
  const reason = failedReason ?? 'unknown reason';
  const record = recordOf(reason);
  if (record) return reviveError(record);
  if (stalledCount !== undefined && stalledCount > 0) return new WorkerHostLostError(`${stalledCount} losses; BullMQ: ${reason}`);
  return new Error(reason);
}

