/**
 * A job's seq: its place among the jobs written to one worker (1, 2, 3, … in the order the worker
 * reads them, both sides counting the same frames). Job ids are not enough to name a job on a
 * worker: a job taken back may be sent to the same worker again, and a late answer for the first
 * copy must not be taken for the second. Seqs wrap at 2^30 (the top bits of the start gate's word
 * are flags, see child/start-gate.ts); the jobs one worker holds at once are far fewer.
 */
export const SEQ_MASK = 0x3fffffff;
const HALF = 0x20000000;

/** The seq after `seq`. */
export function nextSeq(seq: number): number {
  return (seq + 1) & SEQ_MASK;
}

/** Whether `seq` was written after `than` (modulo the wrap: both lie within half the range). */
export function seqAfter(seq: number, than: number): boolean {
  const distance = (seq - than) & SEQ_MASK;
  return distance !== 0 && distance < HALF;
}
