import { MAX_RUN_BYTES } from './json-run.js';
import { HEADER_SIZE, Kind } from './messages.js';

/**
 * How long each kind of frame may be, for the readers' header checks (`KindLimit`): kinds whose
 * payload is a pid, `undefined` or nothing are never longer than a few bytes, so a header that
 * claims more is garbage, refused before anything is buffered for it.
 */
export const SMALL_FRAME = HEADER_SIZE + 64;

const FROM_CHILD = new Map<number, boolean | number>([
  [Kind.READY, SMALL_FRAME],
  [Kind.RELEASED, SMALL_FRAME],
  [Kind.RSS, SMALL_FRAME],
  [Kind.INIT_ERROR, true],
  [Kind.RESULT, true],
  [Kind.JOB_ERROR, true],
  [Kind.CALLBACK, true],
  [Kind.FINAL, true],
  [Kind.EXITING, SMALL_FRAME],
  [Kind.BUSY, true],
  [Kind.PROGRESS, true],
  [Kind.TEARDOWN_ERROR, true],
  [Kind.RESULTS, HEADER_SIZE + MAX_RUN_BYTES],
]);

const FROM_PARENT = new Map<number, boolean | number>([
  [Kind.RELEASE, SMALL_FRAME],
  [Kind.RESUME, SMALL_FRAME],
  [Kind.SHUTDOWN, SMALL_FRAME],
  [Kind.INIT, true],
  [Kind.JOB, true],
  [Kind.TASK, true],
  [Kind.JOBS, HEADER_SIZE + MAX_RUN_BYTES],
  [Kind.ABORT, true],
  [Kind.CALLBACK_RESULT, true],
  [Kind.CALLBACK_ERROR, true],
]);

/** For the parent's reader of a child's channel. */
export function childKindLimit(kind: number): boolean | number {
  return FROM_CHILD.get(kind) ?? false;
}

/** For a child's reader of its parent's channel. */
export function parentKindLimit(kind: number): boolean | number {
  return FROM_PARENT.get(kind) ?? false;
}

/** For the parent's reader of a worker's reclaim channel: RECLAIMED only. */
export function reclaimedKindLimit(kind: number): boolean | number {
  return kind === Kind.RECLAIMED ? SMALL_FRAME : false;
}

/** For a worker's reclaim thread, reading its parent's side of the reclaim channel: RECLAIM only. */
export function reclaimKindLimit(kind: number): boolean | number {
  return kind === Kind.RECLAIM ? SMALL_FRAME : false;
}

/** The longest frame a reader should accept when messages are at most `maxMessageSize` bytes. */
export function frameLimit(maxMessageSize: number): number {
  return maxMessageSize + HEADER_SIZE;
}
