import type { Job } from './job.js';
import type { WorkerSlot } from './slot.js';

/**
 * How much work (in ms of measured service time) may wait in one worker, sent ahead of what it
 * runs. Sending ahead hides round trips for tiny jobs; bounding it by time bounds what a long
 * synchronous job can hold back from a free worker (a child busy in one cannot read RELEASE).
 */
export const SEND_AHEAD_BUDGET_MS = 1;

/** How many jobs one worker may hold, from the service time its children report. */
export function sendAheadDepth(serviceMs: number, prefetch: number): number {
  if (!(serviceMs >= 0)) return 1;
  const depth = Math.floor(SEND_AHEAD_BUDGET_MS / Math.max(serviceMs, 0.001));
  return Math.max(1, Math.min(prefetch, depth));
}

/** A worker that holds a suspect holds nothing else, so that its fate names the job. */
export function isolated(slot: WorkerSlot): boolean {
  return slot.inflight.length > 0 && (slot.inflight[0] as Job).suspect;
}

/**
 * The worker that should take `job`: the least loaded ready one with room below `depth`. A
 * suspect (a job that was unanswered when a worker died hard among others) goes only to an
 * empty worker.
 */
export function pickWorker(slots: Iterable<WorkerSlot>, job: Job, depth: number, maxJobsPerWorker: number): WorkerSlot | undefined {
  let best: WorkerSlot | undefined;
  const limit = job.suspect ? 1 : depth;
  for (const slot of slots) {
    // A worker the pool is already stopping (killed for a protocol fault, say) takes nothing more.
    if (slot.state !== 'ready' || slot.recycle || slot.proc.reason !== undefined) continue;
    // A job sent now would wait behind the long one it runs (see the engine's #reclaim).
    if (slot.heldBy) continue;
    const load = slot.inflight.length;
    if (load >= limit || (load > 0 && isolated(slot))) continue;
    if (maxJobsPerWorker > 0 && slot.dispatched >= maxJobsPerWorker) continue;
    if (!best || load < best.inflight.length) {
      best = slot;
      if (load === 0) break;
    }
  }
  return best;
}

/** The worker with the most jobs waiting (not running) whose last one can be asked back. */
export function pickStealVictim(slots: Iterable<WorkerSlot>): WorkerSlot | undefined {
  let victim: WorkerSlot | undefined;
  let most = 1;
  for (const slot of slots) {
    // A worker being reclaimed from, or held by a long job, has nothing waiting to take.
    if (slot.state !== 'ready' || slot.reclaiming || slot.heldBy) continue;
    const waiting = slot.inflight.length - 1;
    if (waiting < most) continue;
    const tail = slot.inflight[slot.inflight.length - 1] as Job;
    if (tail.releasing || tail.settled) continue;
    victim = slot;
    most = waiting;
  }
  return victim;
}
