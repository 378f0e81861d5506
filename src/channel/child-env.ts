/**
 * The environment variables of the parent-child contract, declared once for both sides (the
 * child's code depends only on channel/, never on the supervisor's files).
 */

/** Set in a child's environment when the kernel already guards it (setpriv): it skips its watchdog. */
export const PARENT_DEATH_ENV = 'FORKPOOL_PARENT_DEATH_SIGNAL';

/** Lists the variables forkpool added to a worker's environment, which the worker removes. */
export const ADDED_ENV = 'FORKPOOL_ADDED_ENV';

/**
 * Run first in a worker: malloc has read the allocator settings at start-up; removing what
 * forkpool added keeps it out of the user's view and away from processes the work function starts.
 */
export function removeAddedEnv(): void {
  const added = process.env[ADDED_ENV];
  if (added === undefined) return;
  for (const name of added.split(',')) delete process.env[name];
  delete process.env[ADDED_ENV];
}
