import { loadWorkerModule } from '../child/load.js';
import type { WorkerHandlers } from '../child/types.js';

/** Marks a process as a BossWorkerAsync worker re-running the boss's script; the value is the instance index. */
export const SCRIPT_CHILD_ENV = 'FORKPOOL_BWA_CHILD';

type Handler = ((...args: any[]) => unknown) | string | URL | undefined;

async function resolveHandler(handler: Handler, pick: 'work' | 'init'): Promise<((...args: any[]) => unknown) | undefined> {
  if (handler === undefined || typeof handler === 'function') return handler;
  const url = handler instanceof URL ? handler.href : handler.startsWith('file:') ? handler : new URL(handler, `file://${process.cwd()}/`).href;
  const loaded = await loadWorkerModule(url);
  // An init module's default export is the init handler itself (the seed's init_handler takes no job).
  return pick === 'work' ? loaded.work : (loaded.init ?? loaded.work);
}

/** The seed's handlers take only the job, and init takes nothing. */
export async function loadCompatHandlers(work: Handler, init: Handler): Promise<WorkerHandlers> {
  const [workFn, initFn] = await Promise.all([resolveHandler(work, 'work'), resolveHandler(init, 'init')]);
  if (typeof workFn !== 'function') throw new TypeError('workHandler did not resolve to a function.');
  return {
    work: (job: unknown) => workFn(job),
    init: initFn ? () => initFn() : undefined,
  };
}
