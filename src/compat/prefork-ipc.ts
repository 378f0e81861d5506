import { fileURLToPath } from 'node:url';
import { InvalidOptionError, PreforkChildOnlyError } from '../errors.js';
import { checkOptions, describe, integer, workerModuleUrl } from '../options.js';
import { PreforkChannel } from '../prefork/child-channel.js';
import { PreforkEngine } from '../prefork/engine.js';
import { checkCallbacks, normalizeTrapSignals, optionalFunction } from '../prefork/options.js';
import { shortSignal, toSignal } from '../prefork/signals.js';
import type { ChildReapEvent } from '../prefork/types.js';
import { callerUrl, resolveFrom } from '../util/caller.js';

/** Set in a child's environment to the manager's pid: the script re-run in it is a prefork child, not a manager. */
export const PREFORK_CHILD_ENV = 'FORKPOOL_PREFORK_CHILD';
/** The manager's `maxWorkers` when it spawned the child: what the Perl child's copy would hold. */
const PREFORK_MAX_WORKERS_ENV = 'FORKPOOL_PREFORK_MAX_WORKERS';
const COMPAT_CHILD_ENTRY = fileURLToPath(new URL('../prefork/compat-child-main.js', import.meta.url));

export interface PreforkIPCOptions {
  /** Children kept alive by `start()`; also settable as `ppi.maxWorkers`. @default 10 */
  maxWorkers?: number;
  /** Received signal -> signal relayed to every child; null relays nothing. @default { TERM: 'TERM' } */
  trapSignals?: Record<string, string | null | undefined>;
  /** `(ppi, kidpid, status, finalPayload, details)` after each child is reaped. `status` is the exit code, 128 + n for signal n, 124 after `childTimeout`. */
  onChildReap?: (ppi: PreforkIPC, kidpid: number, status: number, finalPayload: any, details: ChildReapEvent) => void;
  /** name -> `(ppi, kidpid, payload) => value`, called by `await ppi.callback(name, payload)` in a child. */
  callbacks?: Record<string, (ppi: PreforkIPC, kidpid: number, payload: any) => unknown>;
  /** Seconds a callback may take before the child's call fails with ERR_CALLBACK_TIMEOUT; 0 = none. @default 0 */
  callbackTimeout?: number;
  /** `(ppi)` in the manager before each child is spawned. */
  beforeFork?: (ppi: PreforkIPC) => void;
  /** `(ppi, kidpid)` in the manager after each child is spawned. */
  afterFork?: (ppi: PreforkIPC, kidpid: number) => void;
  /** Seconds between two spawns. @default 0 */
  spawnInterval?: number;
  /** Seconds to wait before respawning after a child exited with a non-zero status. @default 1 */
  errRespawnInterval?: number;
  /** Seconds a child may run; then SIGTERM, SIGKILL one second later, reaped with status 124. 0 = none. @default 0 */
  childTimeout?: number;
  /**
   * A module whose default export `async (ppi) => payload` runs in each child; a relative path is
   * resolved against the directory of the script calling `new PreforkIPC`. @default the calling script, re-run
   */
  worker?: string | URL;
}

const KNOWN = new Set([
  'maxWorkers', 'trapSignals', 'onChildReap', 'callbacks', 'callbackTimeout', 'beforeFork', 'afterFork',
  'spawnInterval', 'errRespawnInterval', 'childTimeout', 'worker',
]);

function seconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(name, `expected a number of seconds >= 0, got ${describe(value)}.`);
  }
  return Math.round(value * 1000);
}

/**
 * Parallel::Prefork::IPC with the seed's names, for porting Perl code.
 *
 * Unless `worker` names a module, each child re-runs the calling script (`process.argv[1]`, with
 * the same arguments and Node flags) the way fork() would have copied it: the script's top-level
 * code, this constructor and the loop's reload code run again in every child, until `start()`
 * returns false there. The manager's hooks and callbacks never run in a child.
 */
export class PreforkIPC {
  readonly #engine: PreforkEngine | undefined;
  readonly #channel: PreforkChannel | undefined;
  /** The manager's pid, in the manager and in its children. */
  readonly managerPid: number;
  readonly #options: Readonly<PreforkIPCOptions>;
  /** In a child: its own copy of `maxWorkers` (Perl's forked object is a copy too). */
  #childMaxWorkers = 0;
  /** In a child: the manager's `maxWorkers` when it spawned this child. */
  readonly #spawnedWithMaxWorkers: number | undefined;

  constructor(options: PreforkIPCOptions = {}) {
    checkOptions(options, '{ maxWorkers: 5, callbacks: { ... } }', KNOWN);
    const maxWorkers = integer('maxWorkers', options.maxWorkers, 0, 10);
    const trapSignals = normalizeTrapSignals(options.trapSignals, { TERM: 'TERM' });
    const callbacks = checkCallbacks(options.callbacks);
    const onChildReap = optionalFunction<NonNullable<PreforkIPCOptions['onChildReap']>>('onChildReap', options.onChildReap);
    const beforeFork = optionalFunction<NonNullable<PreforkIPCOptions['beforeFork']>>('beforeFork', options.beforeFork);
    const afterFork = optionalFunction<NonNullable<PreforkIPCOptions['afterFork']>>('afterFork', options.afterFork);
    const timing = {
      callbackTimeout: seconds('callbackTimeout', options.callbackTimeout, 0),
      spawnInterval: seconds('spawnInterval', options.spawnInterval, 0),
      errRespawnInterval: seconds('errRespawnInterval', options.errRespawnInterval, 1),
      childTimeout: seconds('childTimeout', options.childTimeout, 0),
    };
    // A relative path is the calling script's, as its own imports are.
    const worker = options.worker === undefined ? undefined : workerModuleUrl(typeof options.worker === 'string' && options.worker !== '' ? resolveFrom(callerUrl(new.target), options.worker) : options.worker);
    this.#options = Object.freeze({ ...options });

    const managerPid = process.env[PREFORK_CHILD_ENV];
    if (managerPid !== undefined) {
      // A child: only the channel is needed; the accessors answer from the options, as the
      // manager's object copied by fork() would. Removed from the environment so that a manager
      // this child creates itself is a manager again.
      delete process.env[PREFORK_CHILD_ENV];
      const spawnedWith = Number(process.env[PREFORK_MAX_WORKERS_ENV]);
      delete process.env[PREFORK_MAX_WORKERS_ENV];
      this.#channel = new PreforkChannel();
      this.managerPid = /^\d+$/.test(managerPid) ? Number(managerPid) : process.ppid;
      this.#childMaxWorkers = maxWorkers;
      this.#spawnedWithMaxWorkers = Number.isSafeInteger(spawnedWith) ? spawnedWith : undefined;
      return;
    }
    let args: string[];
    if (worker) args = [COMPAT_CHILD_ENTRY, worker];
    else {
      const script = process.argv[1];
      if (!script) throw new InvalidOptionError('worker', 'there is no script to re-run in the children (no process.argv[1]); pass { worker: "./child.js" }.');
      args = [script, ...process.argv.slice(2)];
    }
    this.managerPid = process.pid;
    this.#engine = new PreforkEngine({
      args,
      execArgv: worker ? [] : process.execArgv,
      env: { ...process.env, [PREFORK_CHILD_ENV]: String(process.pid) },
      spawnEnv: () => ({ [PREFORK_MAX_WORKERS_ENV]: String(this.maxWorkers) }),
      cwd: undefined,
      maxWorkers,
      trapSignals,
      callbacks: Object.fromEntries(
        Object.entries(callbacks).map(([name, fn]) => [name, (payload: unknown, info: { pid: number }) => fn(this, info.pid, payload)]),
      ),
      ...timing,
      killTimeout: 1000,
      beforeFork: beforeFork && (() => beforeFork(this)),
      afterFork: afterFork && ((pid) => afterFork(this, pid)),
      onChildReap: onChildReap && ((event) => onChildReap(this, event.pid, event.status, event.payload, event)),
    });
  }

  /** True in a child process started by `start()`. */
  get inChild(): boolean {
    return this.#channel !== undefined;
  }

  /**
   * In the manager: keeps `maxWorkers` children alive and resolves with true once a trapped
   * signal arrives. In a child: resolves with false at once, or, given `fn`, runs `await fn(ppi)`
   * and finishes with code 0 and its return value as the final payload.
   */
  async start(fn?: (ppi: PreforkIPC) => unknown): Promise<boolean> {
    if (fn !== undefined && typeof fn !== 'function') throw new InvalidOptionError('fn', `expected a function, got ${describe(fn)}.`);
    if (this.#channel) {
      // Here the Perl child's copy was made: what the manager had set (say, in its reload code).
      if (this.#spawnedWithMaxWorkers !== undefined) this.#childMaxWorkers = this.#spawnedWithMaxWorkers;
      if (!fn) return false;
      let value: unknown;
      try {
        value = await fn(this);
      } catch (error) {
        process.stderr.write(`forkpool: prefork child ${process.pid} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        return this.#channel.fail(1, error);
      }
      return this.finish(0, value);
    }
    await this.#manager.start();
    return true;
  }

  /** In a child: sends `payload` as the final payload and exits with `exitCode`. `await` it: it never resolves. */
  finish(exitCode = 0, payload?: unknown): Promise<never> {
    if (!this.#channel) throw new PreforkChildOnlyError('finish');
    integer('exitCode', exitCode, 0, 0);
    return this.#channel.finish(exitCode, payload);
  }

  /** In a child: calls the manager's callback `name` with `payload` and resolves with what it returned. */
  callback<T = any>(name: string, payload?: unknown): Promise<T> {
    if (!this.#channel) return Promise.reject(new PreforkChildOnlyError('callback'));
    return this.#channel.callback<T>(name, payload);
  }

  /** The trapped signal that ended the last `start()` ('TERM', 'HUP', ...), or '' (always '' in a child). */
  signalReceived(): string {
    const signal = this.#engine?.signalReceived;
    return signal ? shortSignal(signal) : '';
  }

  /** Children spawned and not yet reaped (0 in a child). */
  numWorkers(): number {
    return this.#engine?.numWorkers ?? 0;
  }

  /**
   * How many children `start()` keeps. In a child: the manager's value when it spawned the child
   * (once `start()` returned false there; before that, the value this script configured).
   */
  get maxWorkers(): number {
    return this.#engine ? this.#engine.maxWorkers : this.#childMaxWorkers;
  }

  /** Set it in the reload part of the loop; a running `start()` adjusts at once. In a child it changes only the child's copy. */
  set maxWorkers(value: number) {
    const max = integer('maxWorkers', value, 0, 0);
    if (this.#engine) this.#engine.maxWorkers = max;
    else this.#childMaxWorkers = max;
  }

  /** The options this object was built with (the same in the manager and in its children), read-only. */
  get options(): Readonly<PreforkIPCOptions> {
    return this.#options;
  }

  /**
   * Resolves once every child is reaped, or after `timeoutSeconds`, with how many still run. Kills
   * nothing. No timeout, or 0, waits for every child, as Perl's `wait_all_children(0)` does (its
   * `if ($timeout)` treats 0 as none); to poll without waiting, read `numWorkers()`.
   */
  async waitAllChildren(timeoutSeconds?: number): Promise<number> {
    const ms = timeoutSeconds === undefined ? 0 : seconds('timeoutSeconds', timeoutSeconds, 0);
    return this.#engine ? this.#engine.waitAll(ms > 0 ? ms : undefined) : 0;
  }

  /** Sends `signal` ('TERM' or 'SIGTERM') to every child; returns how many were signalled. */
  signalAllChildren(signal: string): number {
    const sig = toSignal(signal);
    if (!sig) throw new InvalidOptionError('signal', `expected a signal name such as "TERM", got ${describe(signal)}.`);
    return this.#engine?.signalAll(sig) ?? 0;
  }

  get #manager(): PreforkEngine {
    return this.#engine as PreforkEngine;
  }
}
