import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { InvalidOptionError } from '../errors.js';
import { checkOptions, describe, integer, timerMs, normalizeSpawn, workerModuleUrl, type CallbackHandler } from '../options.js';
import { toSignal, UNTRAPPABLE } from './signals.js';
import type { ChildReapEvent, EngineConfig } from './types.js';

const CHILD_ENTRY = fileURLToPath(new URL('./child-main.js', import.meta.url));

export interface PreforkOptions {
  /**
   * The child module: its default export `async (ctx) => payload` runs once in every child, and
   * what it returns is the child's final payload. A path or a `file:` URL.
   */
  worker: string | URL;
  /** Children kept alive while `start()` runs; settable later through `prefork.maxWorkers`. @default os.availableParallelism() */
  maxWorkers?: number;
  /** Functions children call with `ctx.callback(name, payload)`; they get `(payload, { pid, workerId })`. */
  callbacks?: Record<string, CallbackHandler>;
  /** Time limit (ms) for a callback handler; the child's call then rejects with ERR_CALLBACK_TIMEOUT. 0 = none. @default 0 */
  callbackTimeout?: number;
  /**
   * Received signal -> signal relayed to every child (`null`: relay nothing, only end `start()`).
   * Receiving any of them makes `start()` resolve with its name; after SIGTERM or SIGINT no child starts again.
   * @default { SIGTERM: 'SIGTERM' }
   * @example { SIGTERM: 'SIGTERM', SIGINT: 'SIGTERM', SIGHUP: 'SIGTERM', SIGUSR1: null }
   */
  trapSignals?: Record<string, string | null | undefined>;
  /** Called in the manager once per child after it was reaped. */
  onChildReap?: (event: ChildReapEvent) => void;
  /** Called in the manager before each child is spawned. */
  beforeFork?: () => void;
  /** Called in the manager after each child was spawned, with its pid. */
  afterFork?: (pid: number) => void;
  /** A child running longer than this (ms) gets SIGTERM, then SIGKILL after `killTimeout`; reaped with status 124. 0 = none. @default 0 */
  childTimeout?: number;
  /** Between SIGTERM and SIGKILL (ms), for `childTimeout` and `close()`. @default 1000 */
  killTimeout?: number;
  /** Pause (ms) after each spawn before the next one. @default 0 */
  spawnInterval?: number;
  /** Pause (ms) before respawning after a child of the current generation exited with a non-zero status. @default 1000 */
  errRespawnInterval?: number;
  /** Environment of the children. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Node flags for the children. @default [] */
  execArgv?: string[];
  /** Working directory of the children. @default process.cwd() */
  cwd?: string;
}

const KNOWN = new Set([
  'worker', 'maxWorkers', 'callbacks', 'callbackTimeout', 'trapSignals', 'onChildReap', 'beforeFork', 'afterFork',
  'childTimeout', 'killTimeout', 'spawnInterval', 'errRespawnInterval', 'env', 'execArgv', 'cwd',
]);

export function optionalFunction<F>(name: string, value: unknown): F | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'function') throw new InvalidOptionError(name, `expected a function, got ${describe(value)}.`);
  return value as F;
}

export function checkCallbacks(value: unknown): Record<string, (...args: any[]) => unknown> {
  const callbacks = value ?? {};
  if (typeof callbacks !== 'object' || callbacks === null || Array.isArray(callbacks)) {
    throw new InvalidOptionError('callbacks', 'expected an object mapping names to functions, such as { getJob() { ... } }.');
  }
  for (const [name, fn] of Object.entries(callbacks)) {
    if (typeof fn !== 'function') throw new InvalidOptionError('callbacks', `callbacks.${name} is ${describe(fn)}, expected a function.`);
  }
  return callbacks as Record<string, (...args: any[]) => unknown>;
}

/** `{ TERM: 'TERM', USR1: null }` (either naming) -> Map<'SIGTERM', 'SIGTERM' | null>. */
export function normalizeTrapSignals(value: unknown, fallback: Record<string, string | null>): Map<NodeJS.Signals, NodeJS.Signals | null> {
  const trap = value ?? fallback;
  if (typeof trap !== 'object' || trap === null || Array.isArray(trap)) {
    throw new InvalidOptionError('trapSignals', 'expected an object mapping a received signal to the one relayed to the children, such as { TERM: "TERM", USR1: null }.');
  }
  const map = new Map<NodeJS.Signals, NodeJS.Signals | null>();
  for (const [name, relayName] of Object.entries(trap)) {
    const signal = toSignal(name);
    if (!signal || UNTRAPPABLE.has(signal)) throw new InvalidOptionError('trapSignals', `"${name}" is not a signal this process can trap.`);
    let relay: NodeJS.Signals | null = null;
    if (relayName !== null && relayName !== undefined) {
      relay = toSignal(relayName) ?? null;
      if (!relay) throw new InvalidOptionError('trapSignals', `trapSignals.${name} is ${describe(relayName)}: expected a signal name such as "TERM", or null to relay nothing.`);
    }
    map.set(signal, relay);
  }
  return map;
}


export function normalizePreforkOptions(options: PreforkOptions): EngineConfig {
  checkOptions(options, '{ worker: "./child.js", maxWorkers: 4 }', KNOWN);
  return {
    args: [CHILD_ENTRY, workerModuleUrl(options.worker)],
    ...normalizeSpawn(options),
    maxWorkers: integer('maxWorkers', options.maxWorkers, 0, availableParallelism()),
    trapSignals: normalizeTrapSignals(options.trapSignals, { SIGTERM: 'SIGTERM' }),
    callbacks: checkCallbacks(options.callbacks) as Record<string, CallbackHandler>,
    callbackTimeout: timerMs('callbackTimeout', options.callbackTimeout, 0, 0),
    childTimeout: timerMs('childTimeout', options.childTimeout, 0, 0),
    killTimeout: timerMs('killTimeout', options.killTimeout, 0, 1000),
    spawnInterval: timerMs('spawnInterval', options.spawnInterval, 0, 0),
    errRespawnInterval: timerMs('errRespawnInterval', options.errRespawnInterval, 0, 1000),
    beforeFork: optionalFunction('beforeFork', options.beforeFork),
    afterFork: optionalFunction('afterFork', options.afterFork),
    onChildReap: optionalFunction('onChildReap', options.onChildReap),
  };
}
