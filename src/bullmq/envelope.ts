import type { ErrorRecord } from '../channel/error-wire.js';

/**
 * What a forkpool job looks like in Redis. `job` is the worker's input (a JSON value); `timeout`
 * is set only when `run(job, { timeout })` overrides the hosts' own limit.
 */
export interface Envelope {
  job: unknown;
  timeout?: number;
}

export function readEnvelope(data: unknown): Envelope {
  // A job added by a non-forkpool producer (plain `queue.add(name, data)`) is its own input.
  if (typeof data === 'object' && data !== null && 'job' in data) return data as Envelope;
  return { job: data };
}

/**
 * BullMQ keeps only an error's message (`failedReason`). The host writes the whole error record
 * to the job's log with this prefix just before failing it, so the producer can rebuild the
 * error with its code and details (exitCode, signal, stderr, timeout, ...).
 */
export const ERROR_LOG_PREFIX = 'forkpool:error:';

export function errorLogLine(record: ErrorRecord): string {
  return ERROR_LOG_PREFIX + JSON.stringify(record);
}

/** The last error record in a job's log lines, if any. */
export function lastErrorRecord(logs: readonly string[]): ErrorRecord | undefined {
  for (let i = logs.length - 1; i >= 0; i--) {
    const line = logs[i];
    if (line?.startsWith(ERROR_LOG_PREFIX)) {
      try {
        return JSON.parse(line.slice(ERROR_LOG_PREFIX.length)) as ErrorRecord;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
