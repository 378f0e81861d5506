import type { RunOptions } from '../pool-types.js';

/**
 * What `DistributedPool#run` takes: the local pool's run options (`name`, `priority` and
 * `onProgress` are the local pool's too, so one call site serves both pools).
 */
export interface DistributedRunOptions extends Omit<RunOptions, 'transfer'> {
  /** The worker module's export that runs the job (`default` when absent); hosts reject an unknown one with ERR_TASK_UNKNOWN. */
  name?: string;
  /**
   * An integer from -1 048 575 to 1 048 575: higher runs first among jobs still waiting in the
   * queue, first in first out within one priority. Stored as BullMQ's `priority` (see
   * `bullmqPriority`). @default 0
   */
  priority?: number;
  /** Called with each value the job passes to `ctx.progress(value)` (a JSON value), in order, before the job settles. */
  onProgress?: (value: unknown) => void;
}

/** forkpool priorities that fit BullMQ's range (1 to 2 097 151 once mapped). */
export const PRIORITY_LIMIT = 1_048_575;

/**
 * BullMQ runs unprioritized jobs (priority 0) before every prioritized one, and lower numbers
 * first; forkpool runs higher numbers first with 0 in the middle. So every forkpool job is
 * prioritized, centred: 0 → 1 048 576, the highest forkpool priority → 1, the lowest → 2 097 151.
 * BullMQ orders equal priorities by insertion, which keeps FIFO within a priority.
 */
export function bullmqPriority(priority: number): number {
  return PRIORITY_LIMIT + 1 - priority;
}
