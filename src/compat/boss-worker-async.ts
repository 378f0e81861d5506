import { fileURLToPath } from 'node:url';
import { WorkerRuntime } from '../child/runtime.js';
import { ForkpoolError, InvalidOptionError, NoPendingJobsError, PoolClosedError, type WorkerCrashedError } from '../errors.js';
import { checkOptions, describe, integer, workerModuleUrl, type ChildOverride } from '../options.js';
import { Pool, type Outcome } from '../pool.js';
import { callerUrl, resolveFrom } from '../util/caller.js';
import { loadCompatHandlers, SCRIPT_CHILD_ENV } from './bwa-handlers.js';

type Handler<A extends unknown[]> = ((...args: A) => unknown) | string | URL;

export interface BossWorkerAsyncOptions {
  /**
   * Required. Called with each job in a worker; returns the result (the seed expects a hashref).
   * A function, or a module path / `file:` URL whose default export is that function; a relative
   * path is resolved against the directory of the script that calls `new BossWorkerAsync`, as
   * `import('./work.mjs')` there would (not against the current directory).
   */
  workHandler: Handler<[job: any]>;
  /** Called in the parent with each result as it is collected; its return value is what getResult returns. */
  resultHandler?: (result: any) => unknown;
  /** Called once in each worker before its first job. A function or a module path, resolved like `workHandler`. */
  initHandler?: Handler<[]>;
  /** Number of workers. @default 3 */
  workerCount?: number;
  /** Per-job time limit in seconds; 0 = none (the seed's "0 is unlimited"). @default 0 */
  globalTimeout?: number;
  /**
   * Not in the seed: how many times a job whose worker died is run again on a fresh worker
   * before its result is `{ ERROR: "BossWorkerAsync: worker died ..." }`. @default 0
   */
  maxRetries?: number;
  /** Accepted for compatibility and ignored: frames are length-prefixed, any bytes may appear in data. */
  msgDelimiter?: string;
  /** Accepted for compatibility and ignored: reads are sized by the stream. */
  readSize?: number;
  /** Log the boss's steps to stderr. @default 0 */
  verbose?: number | boolean;
}

/** The seed's exact timeout error text. */
export const TIMED_OUT = 'BossWorkerAsync: timed out';

let constructedInChild = 0;

/**
 * Parallel::Fork::BossWorkerAsync with the seed's names, for porting Perl code.
 *
 * Where a handler is a function, each worker re-runs the calling script (`process.argv[1]`, same
 * arguments and Node flags) the way fork() would have copied it: everything the script does before
 * `new BossWorkerAsync(...)` runs again in every worker; in a worker the constructor serves jobs
 * and the object's other methods do nothing (`pending()` is 0, so a `while (bw.pending())` loop is
 * skipped, and `shutDown()` never returns: the worker exits when the boss is done with it).
 */
export class BossWorkerAsync {
  readonly #pool: Pool | undefined;
  readonly #resultHandler: ((result: any) => unknown) | undefined;
  readonly #verbose: boolean;

  constructor(options: BossWorkerAsyncOptions) {
    checkOptions(options, '{ workHandler: work }');
    const { resultHandler } = options;
    if (options.workHandler === undefined) throw new InvalidOptionError('workHandler', "Parameter 'workHandler' is required.");
    // Relative paths are the calling script's, as its own imports are.
    const base = callerUrl(new.target);
    const workHandler = resolveHandlerPath(options.workHandler, base);
    const initHandler = options.initHandler === undefined ? undefined : resolveHandlerPath(options.initHandler, base);
    checkHandler('workHandler', workHandler);
    if (initHandler !== undefined) checkHandler('initHandler', initHandler);
    if (resultHandler !== undefined && typeof resultHandler !== 'function') {
      throw new InvalidOptionError('resultHandler', `expected a function, got ${describe(resultHandler)}.`);
    }
    const workerCount = integer('workerCount', options.workerCount, 1, 3);
    const globalTimeout = options.globalTimeout ?? 0;
    if (typeof globalTimeout !== 'number' || !(globalTimeout >= 0) || !Number.isFinite(globalTimeout)) {
      throw new InvalidOptionError('globalTimeout', `expected a number of seconds >= 0, got ${describe(globalTimeout)}.`);
    }
    if (options.msgDelimiter !== undefined && (typeof options.msgDelimiter !== 'string' || options.msgDelimiter === '')) {
      throw new InvalidOptionError('msgDelimiter', 'expected a non-empty string (it is not needed: frames are length-prefixed).');
    }
    integer('readSize', options.readSize, 1, 1);
    const maxRetries = integer('maxRetries', options.maxRetries, 0, 0);
    this.#resultHandler = resultHandler;
    this.#verbose = Boolean(options.verbose);

    const scriptMode = typeof workHandler === 'function' || typeof initHandler === 'function';
    const childIndex = process.env[SCRIPT_CHILD_ENV];
    if (childIndex !== undefined) {
      // We are a worker re-running the boss's script: serve the instance the boss built at this index.
      // Only script-mode instances are numbered, in the boss and here alike.
      const index = scriptMode ? constructedInChild++ : -1;
      if (scriptMode && String(index) === childIndex) {
        new WorkerRuntime(loadCompatHandlers(workHandler, initHandler));
      }
      this.#pool = undefined;
      return;
    }

    let child: ChildOverride;
    let worker: string;
    if (scriptMode) {
      const script = process.argv[1];
      if (!script) {
        throw new InvalidOptionError('workHandler', 'a function handler needs a script to re-run in the workers (no process.argv[1]); pass a module path instead.');
      }
      worker = script;
      child = { args: [script, ...process.argv.slice(2)], env: { [SCRIPT_CHILD_ENV]: String(BossWorkerAsync.#constructed++) } };
    } else {
      worker = workerModuleUrl(workHandler, 'workHandler');
      const initUrl = initHandler === undefined ? '' : workerModuleUrl(initHandler, 'initHandler');
      child = { args: [fileURLToPath(new URL('./bwa-child.js', import.meta.url)), worker, initUrl], env: {} };
    }
    this.#pool = new Pool(
      {
        worker,
        workers: workerCount,
        timeout: Math.round(globalTimeout * 1000),
        maxRetries,
        execArgv: scriptMode ? process.execArgv : [],
      },
      child,
    );
    this.#log(`new: ${workerCount} workers started\n`);
  }

  /** True in a worker process re-running the boss's script: guard top-level side effects with it. */
  static get isWorker(): boolean {
    return process.env[SCRIPT_CHILD_ENV] !== undefined;
  }

  /** Counts instances built in the boss, so a re-run script serves the right one. */
  static #constructed = 0;

  /** Adds one or more jobs to the queue. */
  addWork(...jobs: unknown[]): void {
    if (!this.#pool) return;
    for (const job of jobs) {
      try {
        this.#pool.add(job);
      } catch (error) {
        throw facadeError(error);
      }
      this.#log(`add_work: job added to queue, ${this.#pool.pending} pending\n`);
    }
  }

  /** How many added jobs have not been collected yet (finished or not). */
  pending(): number {
    return this.#pool?.pending ?? 0;
  }

  /** The next result in completion order, through `resultHandler`; errors come back as `{ ERROR }`. */
  async getResult(): Promise<any> {
    if (!this.#pool) return never();
    this.#log(`get_result: ${this.#pool.pending} jobs in process\n`);
    let outcome: Outcome<unknown, unknown>;
    try {
      outcome = await this.#pool.next();
    } catch (error) {
      throw facadeError(error);
    }
    return this.#finish(outcome);
  }

  /** Like getResult, but `undefined` at once when no result is ready. */
  getResultNb(): any {
    const outcome = this.#pool?.nextNow();
    return outcome === undefined ? undefined : this.#finish(outcome);
  }

  /** Graceful by default: queued jobs finish and results stay collectable. `{ force: true }` kills the workers. */
  async shutDown(options: { force?: boolean } = {}): Promise<void> {
    if (!this.#pool) return never();
    this.#log('shut_down: MARK\n');
    await this.#pool.close({ force: Boolean(options.force) });
  }

  #finish(outcome: Outcome<unknown, unknown>): unknown {
    const ref = outcome.status === 'fulfilled' ? outcome.value : { ERROR: errorText(outcome.reason) };
    const value = this.#resultHandler ? this.#resultHandler(ref) : ref;
    return value === undefined || value === null ? {} : value;
  }

  #log(message: string): void {
    if (this.#verbose) process.stderr.write(message);
  }
}

function resolveHandlerPath<H>(handler: H, base: string): H | string {
  return typeof handler === 'string' && handler !== '' ? resolveFrom(base, handler) : handler;
}

/** The pool's errors, reworded with the facade's own names (the codes stay). */
function facadeError(error: unknown): unknown {
  if (!(error instanceof ForkpoolError)) return error;
  if (error.code === 'ERR_POOL_CLOSED') {
    return new PoolClosedError('addWork() after shutDown(): this BossWorkerAsync is shut down; create a new BossWorkerAsync to run more jobs.');
  }
  if (error.code === 'ERR_NO_PENDING_JOBS') {
    return new NoPendingJobsError(
      'getResult() with no results pending (the seed carps "get_result() when no results pending"): addWork() first, or loop on pending(): while (bw.pending()) { const result = await bw.getResult(); ... }',
    );
  }
  return error;
}

function checkHandler(name: string, handler: unknown): void {
  if (typeof handler === 'function') return;
  workerModuleUrl(handler, name);
}

/** What `{ ERROR }` says: the seed's text where it has one, else advice in the facade's terms. */
function errorText(reason: unknown): string {
  if (!(reason instanceof ForkpoolError)) return reason instanceof Error ? reason.message : String(reason);
  switch (reason.code) {
    case 'ERR_JOB_TIMEOUT':
      return TIMED_OUT;
    case 'ERR_WORKER_CRASHED': {
      const crash = reason as WorkerCrashedError;
      const how = crash.signal ? `was killed by ${crash.signal}` : `exited with code ${crash.exitCode}`;
      const tail = crash.stderr ? `\nLast stderr lines:\n${crash.stderr}` : '';
      return `BossWorkerAsync: worker died: the worker (pid ${crash.pid}) ${how} while running the job (attempt ${crash.attempts}). To retry such jobs on a fresh worker, pass maxRetries to new BossWorkerAsync({ workHandler, maxRetries: 2 }).${tail}`;
    }
    case 'ERR_WORKER_INIT': {
      // The cause is the handler's own error, already naming workHandler or initHandler.
      const cause = reason.cause instanceof Error ? reason.cause.message : reason.message;
      return `BossWorkerAsync: the workers cannot start: ${cause}. Every job of this BossWorkerAsync fails: fix that, then create a new one.`;
    }
    case 'ERR_MESSAGE_TOO_LARGE':
      return `BossWorkerAsync: ${reason.message.replace(/ Raise "maxMessageSize" or send less\.$/, '')} Send less per job (e.g. a file path instead of the data).`;
    default:
      return reason.message;
  }
}

/** In a worker, the boss-side methods never return: the worker exits when the boss closes it. */
function never(): Promise<never> {
  return new Promise(() => undefined);
}
