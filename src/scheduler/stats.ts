import type { PoolStats } from '../pool-types.js';
import type { Histogram } from '../util/histogram.js';
import type { LedgerCounts } from './ledger.js';
import type { WorkerSlot } from './slot.js';

/** The pool's figures now: workers by state, jobs by where they are, and the ledger's counts. */
export function poolStats(slots: Iterable<WorkerSlot>, waiting: number, counts: LedgerCounts, timing: { runTime: Histogram; waitTime: Histogram }): PoolStats {
  let workers = 0;
  let starting = 0;
  let idle = 0;
  let busy = 0;
  let running = 0;
  let prefetched = 0;
  for (const slot of slots) {
    workers++;
    if (slot.state === 'starting') starting++;
    else if (slot.state === 'ready') {
      if (slot.inflight.length === 0) idle++;
      else busy++;
    }
    slot.inflight.forEach((job, index) => {
      if (job.settled) return;
      if (index === 0) running++;
      else prefetched++;
    });
  }
  return { workers, starting, idle, busy, queued: waiting + prefetched, running, ...counts, runTime: timing.runTime.summary(), waitTime: timing.waitTime.summary() };
}
