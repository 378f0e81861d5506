/**
 * What worker modules import: types, and `defineWorker` for typed work functions.
 *
 * @example
 * import { defineWorker } from 'forkpool/worker';
 * export default defineWorker(async (job: { a: number; b: number }, ctx) => ({ product: job.a * job.b }));
 */
export type { WorkContext, WorkFunction, InitFunction } from './child/types.js';
import type { WorkContext } from './child/types.js';

/** Returns `work` unchanged; it only gives `ctx` its type. */
export function defineWorker<Job, Result>(work: (job: Job, ctx: WorkContext) => Result): (job: Job, ctx: WorkContext) => Result {
  return work;
}
