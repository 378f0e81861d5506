import type { WorkerProcess } from '../supervisor/worker-process.js';
import { seqAfter } from '../channel/job-seq.js';
import type { Job } from './job.js';

export type SlotState = 'starting' | 'ready' | 'retiring' | 'exited';

/**
 * The pool's view of one worker. `inflight` lists the jobs sent to it, in the order the child
 * runs them: the head is the running job. A job settled early (cancelled) stays as a ghost until
 * the child answers for it, so that the head is always what the child is really running.
 */
export interface WorkerSlot {
  readonly id: number;
  proc: WorkerProcess;
  state: SlotState;
  inflight: Job[];
  /** Jobs ever sent to it (for maxJobsPerWorker). */
  dispatched: number;
  /** It passed maxJobsPerWorker or maxMemoryPerWorker: no new jobs, exits when empty. */
  recycle: 'recycle' | 'memory' | undefined;
  idleTimer: NodeJS.Timeout | undefined;
  /** Its failed start was already counted. */
  startFailureCounted: boolean;
  /** Kills it when it is not ready within `startTimeout` (a module load or init() that hangs). */
  startTimer: NodeJS.Timeout | undefined;
  /** It has answered a job: its start succeeded for good. */
  served: boolean;
  /** It said READY once (a worker being retired may still be finishing its start). */
  wasReady: boolean;
  /** It sent EXITING (see Kind.EXITING): the job it was running then, 0 for none. */
  goodbye: { running: number } | undefined;
  /**
   * Its running job's time ran out while other jobs sent to it were unanswered: which of them
   * was really running (answers are batched) is decided when the worker is gone.
   */
  timedOut: boolean;
  /** Jobs answered since its last BUSY frame, in answer order: their timing comes in that frame. */
  answered: Job[];
  /** The seq of the last job written to it (see channel/job-seq.ts). */
  sent: number;
  /** Jobs it answered, ever (the engine's #askBack tells a stuck worker from a busy one by it). */
  answers: number;
  /** While a RELEASE to it is unanswered: checks every few ms whether it answered anything (see the engine's #askBack). */
  askBackTimer: NodeJS.Timeout | undefined;
  /** A RECLAIM was sent to it and RECLAIMED has not come back. */
  reclaiming: boolean;
  /**
   * A job it started that seems long (it was reclaimed from, or is being): it takes no new job
   * until this one is answered, as a new job would only wait behind it.
   */
  heldBy: Job | undefined;
  /** performance.now() at spawn, for workerReady's startMs. */
  spawnedAt: number;
  /** What its teardown() threw, reported with its exit. */
  teardownError: Error | undefined;
}

/** Removes the job that a RELEASED names by its seq; undefined if it is not (or no longer) there. */
export function takeReleased(slot: WorkerSlot, seq: number): Job | undefined {
  return removeAt(slot, slot.inflight.findIndex((job) => job.seq === seq));
}

/**
 * Removes the jobs the worker never started once its reclaim thread closed the gate: every job
 * written after `lastStarted` (see child/start-gate.ts). They keep their order.
 */
export function takeReclaimed(slot: WorkerSlot, lastStarted: number): Job[] {
  const kept: Job[] = [];
  const taken: Job[] = [];
  for (const job of slot.inflight) (seqAfter(job.seq, lastStarted) ? taken : kept).push(job);
  slot.inflight = kept;
  for (const job of taken) {
    detach(slot, job);
    // Never started, so not running: a head's time limit (if it was armed) starts again elsewhere.
    if (job.timer) clearTimeout(job.timer);
    job.timer = undefined;
    job.armed = false;
  }
  return taken;
}

function detach(slot: WorkerSlot, job: Job): void {
  job.worker = undefined;
  job.releasing = false;
  if (slot.heldBy === job) slot.heldBy = undefined;
  // A ghost's stop timer (see the engine's stopGhost) is moot once the child answered for it or let it go.
  if (job.settled && job.timer) {
    clearTimeout(job.timer);
    job.timer = undefined;
  }
}

/** Removes the job the child answered for (usually the head). */
export function takeAnswered(slot: WorkerSlot, id: number): Job | undefined {
  const inflight = slot.inflight;
  return removeAt(slot, inflight[0]?.id === id ? 0 : inflight.findIndex((queued) => queued.id === id));
}

/** Takes the job at `index` off the worker (-1: none). */
function removeAt(slot: WorkerSlot, index: number): Job | undefined {
  if (index === -1) return undefined;
  const inflight = slot.inflight;
  // The usual case, the head: shift() drops it in constant time; splice(0, 1) moves every job
  // sent ahead (hundreds, for tiny jobs) one place down.
  const job = (index === 0 ? inflight.shift() : inflight.splice(index, 1)[0]) as Job;
  detach(slot, job);
  return job;
}
