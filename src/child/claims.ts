/**
 * Which thread of a worker process gets a job sent ahead: the main thread, to run it, or the
 * release thread, to hand it back (RELEASE) while the main thread is busy in a synchronous job.
 * Each received job gets a cell in shared memory, and the main thread starts a job only by moving
 * its cell from QUEUED to RUNNING with a compare-and-swap, the release thread hands it back only
 * by moving it from QUEUED to RELEASED: exactly one of them wins, so a released job never runs
 * and a started one is never handed back (without this a job could run here and elsewhere).
 *
 * A RELEASE can also name a job the main thread has not read yet (sent after the job it is busy
 * with began). The release thread then notes the id as revoked before it looks for the job's
 * cell, and the main thread fills a job's cell before it looks for a revoked id: with
 * sequentially consistent atomics at least one of them sees the other, so a revoked job is either
 * handed back from its cell or dropped on arrival, never run. The release thread answers RELEASED
 * once, whichever way it went.
 */

// A cell is QUEUED when its job arrives, RUNNING once started (it stays so after: the ring reuses
// it), RELEASED once handed back, DROPPED when the main thread dropped it on arrival for a
// revoked note (the release thread answers for it). 0: never used.
const QUEUED = 1;
const RUNNING = 2;
const RELEASED = 3;
const DROPPED = 4;

/**
 * Cells in the ring: far more than a worker ever holds (prefetch is at most 512, plus ghosts), so
 * a job the parent still waits on is always found (the parent sends a job 4,096 later only after
 * this one's answer reached it).
 */
export const CLAIM_CELLS = 4096;
/** Ids revoked before they arrived, at most. */
const REVOKED_SLOTS = 1024;

/** The shared memory: cell states and ids, the ring's write position, revoked ids and their count. */
export interface ClaimMemory {
  states: Int32Array;
  ids: Int32Array;
  /** [0]: revoked ids noted and not yet resolved. */
  counters: Int32Array;
  /** Ids the release thread answered before the main thread read them (0: an empty slot). */
  revoked: Int32Array;
}

function shared(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * 4));
}

export function claimMemory(): ClaimMemory {
  return { states: shared(CLAIM_CELLS), ids: shared(CLAIM_CELLS), counters: shared(1), revoked: shared(REVOKED_SLOTS) };
}

const REVOKED_COUNT = 0;

/** Clears a revoked slot if it still holds `id`: true for the one caller that cleared it. */
function clearRevoked(memory: ClaimMemory, slot: number, id: number): boolean {
  if (Atomics.compareExchange(memory.revoked, slot, id, 0) !== id) return false;
  Atomics.sub(memory.counters, REVOKED_COUNT, 1);
  return true;
}

function findRevoked(memory: ClaimMemory, id: number): number {
  for (let slot = 0; slot < REVOKED_SLOTS; slot++) if (Atomics.load(memory.revoked, slot) === id) return slot;
  return -1;
}

/** The main thread's side: cells for received jobs, and claims before running them. */
export class ClaimTable {
  readonly memory: ClaimMemory;
  #next = 0;

  constructor(memory: ClaimMemory = claimMemory()) {
    this.memory = memory;
  }

  /**
   * A cell for a job just received, QUEUED; -1 when the release thread has already handed it
   * back (revoked before it arrived): the job is dropped unrun.
   */
  add(id: number): number {
    const memory = this.memory;
    const wanted = id | 0;
    const cell = this.#next;
    this.#next = (cell + 1) % CLAIM_CELLS;
    // The id first (a plain write, published by the atomic store after it), then the state: a
    // sequentially consistent store, so the revoked count read next cannot be read before it
    // (the order the header comment relies on). Three atomic operations per job in all.
    memory.ids[cell] = wanted;
    Atomics.store(memory.states, cell, QUEUED);
    if (Atomics.load(memory.counters, REVOKED_COUNT) === 0) return cell;
    const slot = findRevoked(memory, wanted);
    if (slot === -1) return cell;
    // Revoked: dropped unrun, and never taken from its cell again. Clearing the note tells the
    // release thread, if it is still looking, that it must answer for this job.
    Atomics.compareExchange(memory.states, cell, QUEUED, DROPPED);
    clearRevoked(memory, slot, wanted);
    return -1;
  }

  /** True when this thread may run the job (the release thread did not take it back first). */
  claim(cell: number): boolean {
    return Atomics.compareExchange(this.memory.states, cell, QUEUED, RUNNING) === QUEUED;
  }

  /** Takes a job back on the main thread's own RELEASE (it answers): true if it had neither started nor been released. */
  release(cell: number): boolean {
    return Atomics.compareExchange(this.memory.states, cell, QUEUED, RELEASED) === QUEUED;
  }

  /** The release thread already handed it back (and answered for it). */
  released(cell: number): boolean {
    return Atomics.load(this.memory.states, cell) === RELEASED;
  }

}

/**
 * The release thread's side, for a RELEASE of job `id`: true (answer RELEASED) when the job is
 * handed back — still queued in its cell, dropped by the main thread on arrival, or not yet read
 * and now revoked; false when it has started or finished (its answer says the rest), or when
 * there is no room to note it (the main thread answers the RELEASE when it reads it).
 */
export function releaseFromThread(memory: ClaimMemory, id: number): boolean {
  const wanted = id | 0;
  let slot = -1;
  for (let i = 0; i < REVOKED_SLOTS; i++) {
    if (Atomics.compareExchange(memory.revoked, i, 0, wanted) === 0) {
      slot = i;
      break;
    }
  }
  if (slot === -1) return false;
  Atomics.add(memory.counters, REVOKED_COUNT, 1);
  // Noted first, then looked for in the cells (all of them: rare, and a few microseconds). The
  // id may be in several (a job handed back, then sent here again): only a queued one is taken.
  let found = false;
  for (let cell = 0; cell < CLAIM_CELLS; cell++) {
    if (Atomics.load(memory.ids, cell) !== wanted) continue;
    found = true;
    if (Atomics.compareExchange(memory.states, cell, QUEUED, RELEASED) === QUEUED) {
      clearRevoked(memory, slot, wanted);
      return true;
    }
  }
  // Not read yet: the main thread drops it when it arrives.
  if (!found) return true;
  // Only older cells (it started, or was answered for), unless the main thread meanwhile read
  // it and dropped it for this note (it cleared the note then): answer for that one.
  return !clearRevoked(memory, slot, wanted);
}
