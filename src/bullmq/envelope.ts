import type { ErrorRecord } from '../channel/error-wire.js';

/**
 * What a forkpool job looks like in Redis. `job` is the worker's input (a JSON value); `timeout`
 * is set only when `run(job, { timeout })` overrides the hosts' own limit, `name` only when the
 * job runs a named export rather than the default one.
 */
export interface Envelope {
  job: unknown;
  timeout?: number;
  name?: string;
}

export function readEnvelope(data: unknown): Envelope {
  // A job added by a non-forkpool producer (plain `queue.add(name, data)`) is its own input.
  if (typeof data === 'object' && data !== null && 'job' in data) return data as Envelope;
  return { job: data };
}

/**
 * BullMQ keeps only an error's message (`failedReason`, public on Job and in the `failed`
 * event). A host fails a job with its message followed by this mark and the whole error record,
 * so the producer rebuilds the error with its code and details (exitCode, signal, stderr,
 * timeout, ...) from the failure itself, in the same write: no log lines, no extra key, nothing
 * left over from an earlier attempt. Dashboards still show the message on the first line.
 */
const RECORD_MARK = '\nforkpool:error:';

export function failedReasonOf(message: string, record: ErrorRecord): string {
  return message + RECORD_MARK + JSON.stringify(record);
}

/** The error record a forkpool host put in `failedReason`, if it did. */
export function recordOf(failedReason: string): ErrorRecord | undefined {
  // JSON escapes newlines, so the last mark is the one the host wrote, whatever the message holds.
  const at = failedReason.lastIndexOf(RECORD_MARK);
  if (at < 0) return undefined;
  try {
    return JSON.parse(failedReason.slice(at + RECORD_MARK.length)) as ErrorRecord;
  } catch {
    return undefined;
  }
}
