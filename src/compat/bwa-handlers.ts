import { loadWorkerModule } from '../child/load.js';
import type { WorkerHandlers } from '../child/types.js';

/** Marks a process as a BossWorkerAsync worker re-running the boss's script; the value is the instance index. */
export const SCRIPT_CHILD_ENV = 'FORKPOOL_BWA_CHILD';

type Handler = ((...args: any[]) => unknown) | string | URL | undefined;
type Name = 'workHandler' | 'initHandler';

/** An error that names the facade's own option, so the boss's `{ ERROR }` says what to fix. */
function named(name: Name, what: string, error: unknown): Error {
  const message = error instanceof Error ? error.message : String(error);
  return new Error(`${name} ${what}: ${message}`, { cause: error });
}

async function resolveHandler(handler: Handler, name: Name): Promise<((...args: any[]) => unknown) | undefined> {
  if (handler === undefined || typeof handler === 'function') return handler;
  // The boss resolved relative paths already (against its script's directory): these are URLs.
  const url = handler instanceof URL ? handler.href : handler.startsWith('file:') ? handler : new URL(handler, `file://${process.cwd()}/`).href;
  let loaded: Awaited<ReturnType<typeof loadWorkerModule>>;
  try {
    loaded = await loadWorkerModule(url);
  } catch (error) {
    throw named(name, `module ${url} could not be loaded`, error);
  }
  // An init module's default export is the init handler itself (the seed's init_handler takes no job).
  const fn = name === 'workHandler' ? loaded.work : (loaded.init ?? loaded.work);
  if (typeof fn !== 'function') throw new TypeError(`${name} module ${url} has no default export function: write \`export default function (job) { ... }\`.`);
  return fn;
}

/** The seed's handlers take only the job, and init takes nothing. */
export async function loadCompatHandlers(work: Handler, init: Handler): Promise<WorkerHandlers> {
  const [workFn, initFn] = await Promise.all([resolveHandler(work, 'workHandler'), resolveHandler(init, 'initHandler')]);
  if (typeof workFn !== 'function') throw new TypeError('workHandler did not resolve to a function.');
  return {
    work: (job: unknown) => workFn(job),
    init: initFn
      ? async () => {
          try {
            await initFn();
          } catch (error) {
            throw named('initHandler', 'threw', error);
          }
        }
      : undefined,
  };
}
