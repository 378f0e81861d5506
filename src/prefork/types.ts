import type { HistogramSummary } from '../util/histogram.js';
import type { CallbackHandler } from '../options.js';

/**
 * How a child's end is summed up in `ChildReapEvent.reason`. `'protocol'`: the child wrote bytes
 * on its channel that are not the frames a prefork child sends, and the manager killed it
 * (SIGKILL, status 137); the event's `error` says what was wrong.
 */
export type ReapReason = 'exit' | 'signal' | 'timeout' | 'spawn-error' | 'protocol';

/** What `onChildReap` receives for every child, once, after it has exited and been reaped. */
export interface ChildReapEvent {
  pid: number;
  /**
   * One number, as a shell's `$?`: the exit code; `128 + n` when signal n killed the child
   * (143 for SIGTERM, 137 for SIGKILL); 124 when `childTimeout` stopped it; 127 when it could not be spawned.
   */
  status: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  reason: ReapReason;
  /** True when the child sent a final payload (returned, or called `finish`) before exiting. */
  finished: boolean;
  /** The final payload: the worker function's return value or `finish(code, payload)`'s payload. */
  payload: unknown;
  /** What the worker function threw, when it threw (the child then exits with code 1). */
  error: unknown;
  /** Which `start()` call spawned it (1, 2, ...). */
  generation: number;
  /** ms from its spawn to its reap. */
  lifetimeMs: number;
}

/** The manager's figures since it was made (`prefork.stats()`). */
export interface PreforkStats {
  /** Children spawned and not yet reaped. */
  children: number;
  spawned: number;
  reaped: number;
  /** How long children lived, spawn to reap, in ms (constant memory, see util/histogram.ts). */
  lifetime: HistogramSummary;
}

/** The manager's settings once validated; times in ms. Shared by `Prefork` and `PreforkIPC`. */
export interface EngineConfig {
  /** argv after Node's flags: the child entry script and its arguments. */
  args: string[];
  execArgv: string[];
  env: NodeJS.ProcessEnv | undefined;
  /** Variables added to `env` for each child as it is spawned (what the manager knows at that moment). */
  spawnEnv?: (() => Record<string, string>) | undefined;
  cwd: string | undefined;
  maxWorkers: number;
  /** Received signal -> signal relayed to every child (null: relay nothing). */
  trapSignals: Map<NodeJS.Signals, NodeJS.Signals | null>;
  callbacks: Record<string, CallbackHandler>;
  callbackTimeout: number;
  childTimeout: number;
  killTimeout: number;
  spawnInterval: number;
  errRespawnInterval: number;
  beforeFork: (() => void) | undefined;
  afterFork: ((pid: number) => void) | undefined;
  onChildReap: ((event: ChildReapEvent) => void) | undefined;
}

/** The FINAL frame's payload. */
export type FinalMessage = { payload: unknown } | { error: unknown };

/** What a prefork child's function receives. */
export interface PreforkContext {
  /** Calls the manager's callback `name` and resolves with its return value. */
  callback<T = unknown>(name: string, payload?: unknown): Promise<T>;
  /** Ends the child now with `exitCode`, sending `payload` as its final payload. Never resolves. */
  finish(exitCode?: number, payload?: unknown): Promise<never>;
  /** The manager's pid. */
  readonly managerPid: number;
}

/** A prefork child module's default export: its return value is the child's final payload. */
export type PreforkChildFunction = (ctx: PreforkContext) => unknown;
