import { SEQ_MASK } from '../channel/job-seq.js';

/** Set in the gate's word while it is closed: the main thread starts no job. */
const CLOSED = 0x40000000;

/**
 * The one word shared by a worker's main thread and its reclaim thread that decides, for every
 * job sent ahead, whether it runs here or is handed back: never both. The word holds the seq of
 * the last job the main thread started; the main thread starts a job by a compare-and-swap from
 * that value to the job's seq, the reclaim thread closes the gate by a compare-and-swap that sets
 * CLOSED. Whichever swap comes first wins, so after a close the parent knows exactly which jobs
 * started (seq up to the one the close saw) and which never will.
 */
export class StartGate {
  readonly word = new Int32Array(new SharedArrayBuffer(4));
  /** The seq of the last job this thread started (what the word holds while the gate is open). */
  #last = 0;

  /** Main thread: true if the job may start (and is now the last started), false if it was handed back. */
  claim(seq: number): boolean {
    const last = this.#last;
    if (Atomics.compareExchange(this.word, 0, last, seq) !== last) return false;
    this.#last = seq;
    return true;
  }

  get closed(): boolean {
    return (Atomics.load(this.word, 0) & CLOSED) !== 0;
  }

  /** Main thread, on RESUME: jobs start again (a reclaim thread waiting to close it again may go on). */
  reopen(): void {
    Atomics.store(this.word, 0, this.#last);
    Atomics.notify(this.word, 0);
  }
}

/**
 * Reclaim thread: closes the gate and returns the seq of the last job started. A gate already
 * closed (a RECLAIM sent after the parent's RESUME, which the main thread has not read yet) is
 * waited on until the main thread reopens it.
 */
export function closeGate(word: Int32Array): number {
  for (;;) {
    const value = Atomics.load(word, 0);
    if ((value & CLOSED) !== 0) {
      Atomics.wait(word, 0, value, 1000);
      continue;
    }
    if (Atomics.compareExchange(word, 0, value, value | CLOSED) === value) return value & SEQ_MASK;
  }
}
