import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidOptionError } from './errors.js';
import { unknownNodeFlag } from './node-flags.js';

/** Information a parent callback receives about its caller. */
export interface CallbackInfo {
  /** The calling worker's pid. */
  pid: number;
  /** The calling worker's id within the pool. */
  workerId: number;
  /** The job the worker was running when it called, if any. */
  jobId: number | undefined;
}

export type CallbackHandler = (payload: any, info: CallbackInfo) => unknown;

export interface PoolOptions<Result = unknown, Mapped = Result> {
  /** The worker module: an absolute or relative path (from `cwd` of this process) or a `file:` URL. */
  worker: string | URL;
  /**
   * How many worker processes to keep. Sets both `minWorkers` and `maxWorkers`.
   * @default os.availableParallelism()
   */
  workers?: number;
  /** Fewest workers kept alive, even when idle. @default `workers` */
  minWorkers?: number;
  /** Most workers spawned under load. @default `workers` */
  maxWorkers?: number;
  /** A worker above `minWorkers` idle this long (ms) exits. @default 10000 */
  idleTimeout?: number;
  /** Per-job time limit in ms; 0 means none. @default 0 */
  timeout?: number;
  /** How many times a job whose worker crashed is retried on another worker. @default 0 */
  maxRetries?: number;
  /** Passed to the worker module's `init(initData)` once per worker. Must be structured-cloneable. */
  initData?: unknown;
  /** Maps each job's value before it is returned or collected (the seed's result_handler). */
  onResult?: (value: Result, job: unknown) => Mapped;
  /** Environment of the workers. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Node flags for the workers, e.g. `['--max-old-space-size=64']`. @default [] */
  execArgv?: string[];
  /** Working directory of the workers. @default process.cwd() */
  cwd?: string;
  /** Largest serialized job or result, in bytes. @default 2 GiB - 1 */
  maxMessageSize?: number;
  /**
   * Most jobs sent ahead to one busy worker, so tiny jobs do not wait for round trips. What is
   * sent ahead is also bounded to about 1 ms of the service time the workers measure, so slow
   * jobs go one at a time. A synchronous job that turns out long holds none of the jobs sent
   * ahead of it while another worker is free: the worker's reclaim thread hands them back
   * (docs/api.md, "Long jobs among short ones"); `1` sends nothing ahead (with `maxRetries: 0`
   * every job then runs at most once, see the README).
   * @default 512
   */
  prefetch?: number;
  /** After SIGTERM, how long (ms) a worker has before SIGKILL. @default 1000 */
  killTimeout?: number;
  /**
   * A worker not ready this long (ms) after its spawn (module load plus `init`) is killed and
   * counts as a failed start (see `maxStartFailures`). 0 = wait forever. @default 30000
   */
  startTimeout?: number;
  /** Recycle a worker (between jobs) after it has run this many. 0 = never. @default 0 */
  maxJobsPerWorker?: number;
  /** Recycle a worker (between jobs) whose RSS grew past this many MiB. 0 = never. @default 0 */
  maxMemoryPerWorker?: number;
  /** Most jobs waiting for a worker (at least 1); beyond it `run` rejects with ERR_QUEUE_FULL. @default Infinity */
  maxQueue?: number;
  /** Consecutive failed worker starts after which the pool gives up (ERR_WORKER_INIT). @default 3 */
  maxStartFailures?: number;
  /** Functions the workers can call with `ctx.callback(name, payload)`. */
  callbacks?: Record<string, CallbackHandler>;
  /** Time limit (ms) for a callback handler; 0 = none. @default 0 */
  callbackTimeout?: number;
  /** Close gracefully on the first SIGTERM/SIGINT, forcefully on the second. @default false */
  handleSignals?: boolean;
  /**
   * Where the workers' stdout goes: `'inherit'` this process's stdout; `'stderr'` this process's
   * stderr (for a parent whose stdout carries data, as `forkpool run` does; written through
   * `process.stderr`, in whole chunks, next to the workers' stderr); `'ignore'` nowhere.
   * @default 'inherit'
   */
  stdout?: WorkerStdout;
}

export type WorkerStdout = 'inherit' | 'stderr' | 'ignore';
const WORKER_STDOUT: readonly WorkerStdout[] = ['inherit', 'stderr', 'ignore'];

/** How facades replace the standard child entry (not public API). */
export interface ChildOverride {
  /** argv after the Node flags: script and arguments. */
  args: string[];
  /** Extra environment variables for the child. */
  env: Record<string, string>;
}

export interface NormalizedOptions {
  workerUrl: string;
  /** Set by the compat facades: run this instead of the standard worker entry. */
  child?: ChildOverride | undefined;
  minWorkers: number;
  maxWorkers: number;
  idleTimeout: number;
  timeout: number;
  maxRetries: number;
  initData: unknown;
  env: NodeJS.ProcessEnv | undefined;
  execArgv: string[];
  cwd: string | undefined;
  maxMessageSize: number;
  prefetch: number;
  killTimeout: number;
  startTimeout: number;
  maxJobsPerWorker: number;
  maxMemoryPerWorker: number;
  maxQueue: number;
  maxStartFailures: number;
  callbacks: Record<string, CallbackHandler>;
  callbackTimeout: number;
  handleSignals: boolean;
  stdout: WorkerStdout;
}

export const MAX_MESSAGE_SIZE = 2 ** 31 - 1;

const KNOWN = new Set([
  'worker', 'workers', 'minWorkers', 'maxWorkers', 'idleTimeout', 'timeout', 'maxRetries', 'initData', 'onResult',
  'env', 'execArgv', 'cwd', 'maxMessageSize', 'prefetch', 'killTimeout', 'startTimeout', 'maxJobsPerWorker', 'maxMemoryPerWorker',
  'maxQueue', 'maxStartFailures', 'callbacks', 'callbackTimeout', 'handleSignals', 'stdout',
]);

/**
 * Refuses options that are not an object (`example` shows one) and, given `known`, any key not
 * in it: a misspelt option would otherwise be ignored without a word.
 */
export function checkOptions(options: unknown, example: string, known?: ReadonlySet<string>): void {
  if (typeof options !== 'object' || options === null) throw new InvalidOptionError('options', `expected an object such as ${example}.`);
  if (known === undefined) return;
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new InvalidOptionError(key, `unknown option; the known ones are ${[...known].join(', ')}.`);
  }
}

export function integer(name: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidOptionError(name, `expected an integer >= ${min}, got ${describe(value)}.`);
  }
  return value;
}

/** Node fires a timer longer than this after 1 ms (with a warning): longer waits are refused. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A time in ms for a timer: an integer from `min` to MAX_TIMER_MS (about 24.8 days). */
export function timerMs(name: string, value: unknown, min: number, fallback: number): number {
  const ms = integer(name, value, min, fallback);
  if (ms > MAX_TIMER_MS) {
    throw new InvalidOptionError(name, `at most ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer Node keeps), got ${ms}; use 0 for no limit.`);
  }
  return ms;
}

/** Like `integer` but also accepts Infinity (for limits). */
function limit(name: string, value: unknown, min: number, fallback: number): number {
  if (value === Infinity) return Infinity;
  return integer(name, value, min, fallback);
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

export function workerModuleUrl(worker: unknown, option = 'worker'): string {
  if (worker instanceof URL) {
    if (worker.protocol !== 'file:') throw new InvalidOptionError(option, `expected a file: URL, got ${worker.href}.`);
    return worker.href;
  }
  if (typeof worker !== 'string' || worker === '') {
    throw new InvalidOptionError(option, `expected the path or file: URL of a worker module, got ${describe(worker)}.`);
  }
  if (worker.startsWith('file:')) return new URL(worker).href;
  return pathToFileURL(isAbsolute(worker) ? worker : resolve(worker)).href;
}

/** How a child is spawned: shared by the pool and the prefork manager. */
export function normalizeSpawn(options: { env?: unknown; execArgv?: unknown; cwd?: unknown }): {
  env: NodeJS.ProcessEnv | undefined;
  execArgv: string[];
  cwd: string | undefined;
} {
  return { env: checkEnv(options.env), execArgv: checkExecArgv(options.execArgv), cwd: checkCwd(options.cwd) };
}

/**
 * Everything `spawn` would refuse is refused here, where the option can be named: otherwise a
 * pool with `minWorkers: 0` would only fail at its first `run()`, with a codeless spawn error.
 * The environment is copied: a later change to the caller's object cannot make a spawn fail.
 */
function checkEnv(env: unknown): NodeJS.ProcessEnv | undefined {
  if (env === undefined) return undefined;
  if (typeof env !== 'object' || env === null || Array.isArray(env)) {
    throw new InvalidOptionError('env', `expected an object of environment variables, got ${describe(env)}.`);
  }
  const copy: NodeJS.ProcessEnv = {};
  for (const key of Object.keys(env)) {
    const value = (env as Record<string, unknown>)[key];
    if (key.includes('\0')) throw new InvalidOptionError('env', `the variable name ${JSON.stringify(key)} contains a NUL byte, which no environment variable can hold.`);
    if (value === undefined) continue;
    if (typeof value !== 'string') {
      throw new InvalidOptionError('env', `env.${key} is ${describe(value)}: environment values must be strings${typeof value === 'number' || typeof value === 'boolean' ? ` (write "${String(value)}")` : ''}.`);
    }
    if (value.includes('\0')) throw new InvalidOptionError('env', `env.${key} contains a NUL byte, which no environment variable can hold.`);
    copy[key] = value;
  }
  return copy;
}

function checkExecArgv(execArgv: unknown): string[] {
  if (execArgv === undefined) return [];
  if (!Array.isArray(execArgv) || execArgv.some((a) => typeof a !== 'string')) {
    throw new InvalidOptionError('execArgv', 'expected an array of strings such as ["--max-old-space-size=64"].');
  }
  for (const [index, arg] of (execArgv as string[]).entries()) {
    if (arg.includes('\0')) throw new InvalidOptionError('execArgv', `execArgv[${index}] contains a NUL byte, which no command-line argument can hold.`);
    if (arg === '') throw new InvalidOptionError('execArgv', `execArgv[${index}] is an empty string; Node would take it for the script to run.`);
  }
  const unknown = unknownNodeFlag(execArgv as string[]);
  if (unknown !== undefined) {
    throw new InvalidOptionError('execArgv', `${JSON.stringify(unknown)} is not a flag this Node (${process.version}) knows; see \`node --help\` and \`node --v8-options\`.`);
  }
  // A known flag with a value Node refuses (--max-old-space-size=abc) is only found by Node: the
  // child exits with "bad option" and the start fails with ERR_WORKER_INIT, its stderr included.
  return [...(execArgv as string[])];
}

function checkCwd(cwd: unknown): string | undefined {
  if (cwd === undefined) return undefined;
  if (typeof cwd !== 'string' || cwd === '') {
    throw new InvalidOptionError('cwd', `expected a directory path, got ${describe(cwd)}.`);
  }
  if (cwd.includes('\0')) throw new InvalidOptionError('cwd', 'the path contains a NUL byte.');
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(cwd);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be reached (permission denied)' : `cannot be read (${code ?? (error as Error).message})`;
    throw new InvalidOptionError('cwd', `${JSON.stringify(cwd)} ${why}; pass an existing directory.`);
  }
  if (!stats.isDirectory()) throw new InvalidOptionError('cwd', `${JSON.stringify(cwd)} is not a directory; pass the directory the workers should run in.`);
  return cwd;
}

export function normalizeOptions(options: PoolOptions<any, any>): NormalizedOptions {
  checkOptions(options, '{ worker: "./worker.js" }', KNOWN);
  const workers = integer('workers', options.workers, 1, availableParallelism());
  const minWorkers = integer('minWorkers', options.minWorkers, 0, options.workers === undefined && options.maxWorkers !== undefined ? 0 : workers);
  const maxWorkers = integer('maxWorkers', options.maxWorkers, 1, Math.max(workers, minWorkers));
  if (minWorkers > maxWorkers) {
    throw new InvalidOptionError('minWorkers', `minWorkers (${minWorkers}) is greater than maxWorkers (${maxWorkers}).`);
  }
  if (options.onResult !== undefined && typeof options.onResult !== 'function') {
    throw new InvalidOptionError('onResult', `expected a function, got ${describe(options.onResult)}.`);
  }
  const spawn = normalizeSpawn(options);
  const callbacks = options.callbacks ?? {};
  if (typeof callbacks !== 'object' || callbacks === null) {
    throw new InvalidOptionError('callbacks', 'expected an object mapping names to functions.');
  }
  for (const [name, fn] of Object.entries(callbacks)) {
    if (typeof fn !== 'function') throw new InvalidOptionError('callbacks', `callbacks.${name} is ${describe(fn)}, expected a function.`);
  }
  if (options.handleSignals !== undefined && typeof options.handleSignals !== 'boolean') {
    throw new InvalidOptionError('handleSignals', `expected true or false, got ${describe(options.handleSignals)}.`);
  }
  if (options.stdout !== undefined && !WORKER_STDOUT.includes(options.stdout)) {
    throw new InvalidOptionError('stdout', `expected one of ${WORKER_STDOUT.map((v) => `"${v}"`).join(', ')}, got ${describe(options.stdout)}.`);
  }
  const maxMessageSize = integer('maxMessageSize', options.maxMessageSize, 1, MAX_MESSAGE_SIZE);
  if (maxMessageSize > MAX_MESSAGE_SIZE) {
    throw new InvalidOptionError('maxMessageSize', `at most ${MAX_MESSAGE_SIZE} bytes.`);
  }
  return {
    workerUrl: workerModuleUrl(options.worker),
    minWorkers,
    maxWorkers,
    idleTimeout: timerMs('idleTimeout', options.idleTimeout, 0, 10_000),
    timeout: timerMs('timeout', options.timeout, 0, 0),
    maxRetries: integer('maxRetries', options.maxRetries, 0, 0),
    initData: options.initData,
    ...spawn,
    maxMessageSize,
    prefetch: integer('prefetch', options.prefetch, 1, 512),
    killTimeout: timerMs('killTimeout', options.killTimeout, 0, 1000),
    startTimeout: timerMs('startTimeout', options.startTimeout, 0, 30_000),
    maxJobsPerWorker: integer('maxJobsPerWorker', options.maxJobsPerWorker, 0, 0),
    maxMemoryPerWorker: integer('maxMemoryPerWorker', options.maxMemoryPerWorker, 0, 0),
    maxQueue: limit('maxQueue', options.maxQueue, 1, Infinity),
    maxStartFailures: integer('maxStartFailures', options.maxStartFailures, 1, 3),
    callbacks,
    callbackTimeout: timerMs('callbackTimeout', options.callbackTimeout, 0, 0),
    handleSignals: options.handleSignals ?? false,
    stdout: options.stdout ?? 'inherit',
  };
}
