/**
 * Every error forkpool raises is a `ForkpoolError` with a stable `code`.
 * Callers narrow on `code` (a literal type per subclass), never on message text.
 */

import { brandError, hasBrand } from './error-brand.js';
import { safeString } from './util/safe-string.js';

export class ForkpoolError extends Error {
  static {
    brandError(ForkpoolError, undefined);
  }

  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = 'ForkpoolError';
  }

  /**
   * `instanceof` that also holds across two copies of the package, for this class and each
   * subclass: every class is branded with `Symbol.for('forkpool.error.<CODE>')` (see error-brand.ts).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof asks about (a subclass too), not ForkpoolError.
    return Function.prototype[Symbol.hasInstance].call(this, value) || hasBrand(this, value);
  }
}

export class InvalidOptionError extends ForkpoolError {
  static {
    brandError(InvalidOptionError, 'ERR_INVALID_OPTION');
  }

  declare readonly code: 'ERR_INVALID_OPTION';
  /** The option that was rejected, e.g. `workers`. */
  readonly option: string;
  constructor(option: string, message: string) {
    super('ERR_INVALID_OPTION', `Invalid option "${option}": ${message}`);
    this.name = 'InvalidOptionError';
    this.option = option;
  }
}

export class PoolClosedError extends ForkpoolError {
  static {
    brandError(PoolClosedError, 'ERR_POOL_CLOSED');
  }

  declare readonly code: 'ERR_POOL_CLOSED';
  constructor(message = 'The pool is closed: create a new Pool to run more jobs.') {
    super('ERR_POOL_CLOSED', message);
    this.name = 'PoolClosedError';
  }
}

export class JobTimeoutError extends ForkpoolError {
  static {
    brandError(JobTimeoutError, 'ERR_JOB_TIMEOUT');
  }

  declare readonly code: 'ERR_JOB_TIMEOUT';
  readonly timeout: number;
  constructor(timeout: number) {
    super('ERR_JOB_TIMEOUT', `The job did not finish within ${timeout} ms; its worker was stopped and replaced. Raise "timeout" if the job needs longer.`);
    this.name = 'JobTimeoutError';
    this.timeout = timeout;
  }
}

export interface WorkerCrashDetails {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  pid: number | undefined;
  stderr: string;
  attempts: number;
}

export class WorkerCrashedError extends ForkpoolError {
  static {
    brandError(WorkerCrashedError, 'ERR_WORKER_CRASHED');
  }

  declare readonly code: 'ERR_WORKER_CRASHED';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly pid: number | undefined;
  /** The last lines the worker wrote to stderr, when there were any. */
  readonly stderr: string;
  /** How many times the job was tried (1 + retries). */
  readonly attempts: number;
  constructor(details: WorkerCrashDetails) {
    const how = details.signal ? `was killed by ${details.signal}` : `exited with code ${details.exitCode}`;
    const tail = details.stderr ? `\nLast stderr lines:\n${details.stderr}` : '';
    super(
      'ERR_WORKER_CRASHED',
      `The worker process (pid ${details.pid}) ${how} while running the job (attempt ${details.attempts}). Raise "maxRetries" to retry such jobs on a fresh worker.${tail}`,
    );
    this.name = 'WorkerCrashedError';
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.pid = details.pid;
    this.stderr = details.stderr;
    this.attempts = details.attempts;
  }
}

export class WorkerInitError extends ForkpoolError {
  static {
    brandError(WorkerInitError, 'ERR_WORKER_INIT');
  }

  declare readonly code: 'ERR_WORKER_INIT';
  constructor(message: string, cause?: unknown) {
    super('ERR_WORKER_INIT', message, cause === undefined ? undefined : { cause });
    this.name = 'WorkerInitError';
  }
}

export class UnserializableError extends ForkpoolError {
  static {
    brandError(UnserializableError, 'ERR_UNSERIALIZABLE');
  }

  declare readonly code: 'ERR_UNSERIALIZABLE';
  constructor(what: string, cause?: unknown) {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    super(
      'ERR_UNSERIALIZABLE',
      `The ${what} cannot be sent between processes${reason}. Send structured-clone values only (no functions, symbols, class instances with private state, sockets or streams).`,
      cause === undefined ? undefined : { cause },
    );
    this.name = 'UnserializableError';
  }
}

export class MessageTooLargeError extends ForkpoolError {
  static {
    brandError(MessageTooLargeError, 'ERR_MESSAGE_TOO_LARGE');
  }

  declare readonly code: 'ERR_MESSAGE_TOO_LARGE';
  readonly size: number;
  readonly limit: number;
  constructor(what: string, size: number, limit: number) {
    super('ERR_MESSAGE_TOO_LARGE', `The ${what} is ${size} bytes once serialized, over "maxMessageSize" (${limit} bytes). Raise "maxMessageSize" or send less.`);
    this.name = 'MessageTooLargeError';
    this.size = size;
    this.limit = limit;
  }
}

export class NoPendingJobsError extends ForkpoolError {
  static {
    brandError(NoPendingJobsError, 'ERR_NO_PENDING_JOBS');
  }

  declare readonly code: 'ERR_NO_PENDING_JOBS';
  constructor(message = 'next() was called with no pending jobs: add() jobs first, or check "pool.pending" before waiting.') {
    super('ERR_NO_PENDING_JOBS', message);
    this.name = 'NoPendingJobsError';
  }
}

export class QueueFullError extends ForkpoolError {
  static {
    brandError(QueueFullError, 'ERR_QUEUE_FULL');
  }

  declare readonly code: 'ERR_QUEUE_FULL';
  readonly maxQueue: number;
  constructor(maxQueue: number) {
    super('ERR_QUEUE_FULL', `The queue already holds "maxQueue" (${maxQueue}) jobs: wait for room with "await pool.drained()" or raise "maxQueue".`);
    this.name = 'QueueFullError';
    this.maxQueue = maxQueue;
  }
}

export class CallbackUnknownError extends ForkpoolError {
  static {
    brandError(CallbackUnknownError, 'ERR_CALLBACK_UNKNOWN');
  }

  declare readonly code: 'ERR_CALLBACK_UNKNOWN';
  constructor(name: string, known: readonly string[]) {
    super('ERR_CALLBACK_UNKNOWN', `No callback named "${name}": the parent has ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'no callbacks'}. Add it to the "callbacks" option.`);
    this.name = 'CallbackUnknownError';
  }
}

export class TaskUnknownError extends ForkpoolError {
  static {
    brandError(TaskUnknownError, 'ERR_TASK_UNKNOWN');
  }

  declare readonly code: 'ERR_TASK_UNKNOWN';
  /** The task the job asked for (its `name` run option). */
  readonly task: string;
  /** The tasks the worker module has: its exported functions but `init` and `teardown`. */
  readonly tasks: string[];
  constructor(name: string, known: readonly string[]) {
    super(
      'ERR_TASK_UNKNOWN',
      known.length
        ? `The worker module has no task "${name}"; its tasks are: ${known.join(', ')}.`
        : `The worker module has no task "${name}"; it exports no tasks. Export a function named "${name}" from it.`,
    );
    this.name = 'TaskUnknownError';
    this.task = name;
    this.tasks = [...known];
  }
}

export class CallbackFailedError extends ForkpoolError {
  static {
    brandError(CallbackFailedError, 'ERR_CALLBACK_FAILED');
  }

  declare readonly code: 'ERR_CALLBACK_FAILED';
  constructor(name: string, cause: unknown) {
    const message = cause instanceof Error ? cause.message : safeString(cause);
    super('ERR_CALLBACK_FAILED', `The parent's callback "${name}" failed: ${message}`, { cause });
    this.name = 'CallbackFailedError';
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${this.message}\n    --- parent stack ---\n${cause.stack}`;
  }
}

export class CallbackTimeoutError extends ForkpoolError {
  static {
    brandError(CallbackTimeoutError, 'ERR_CALLBACK_TIMEOUT');
  }

  declare readonly code: 'ERR_CALLBACK_TIMEOUT';
  constructor(name: string, timeoutMs: number) {
    super('ERR_CALLBACK_TIMEOUT', `The parent's callback "${name}" did not answer within ${timeoutMs} ms ("callbackTimeout").`);
    this.name = 'CallbackTimeoutError';
  }
}

export class ProtocolError extends ForkpoolError {
  static {
    brandError(ProtocolError, 'ERR_PROTOCOL');
  }

  declare readonly code: 'ERR_PROTOCOL';
  constructor(message: string) {
    super('ERR_PROTOCOL', message);
    this.name = 'ProtocolError';
  }
}

/** A prefork child-only method (`finish`, `callback`) was called in the manager process. */
export class PreforkChildOnlyError extends ForkpoolError {
  static {
    brandError(PreforkChildOnlyError, 'ERR_PREFORK_CHILD_ONLY');
  }

  declare readonly code: 'ERR_PREFORK_CHILD_ONLY';
  constructor(method: string) {
    super('ERR_PREFORK_CHILD_ONLY', `${method}() works only in a child started by start(): call it after \`if (await ppi.start()) continue;\`, never in the manager.`);
    this.name = 'PreforkChildOnlyError';
  }
}

/** The error a cancelled job rejects with: named `AbortError`, like fetch and timers/promises. */
export class AbortError extends ForkpoolError {
  static {
    brandError(AbortError, 'ABORT_ERR');
  }

  declare readonly code: 'ABORT_ERR';
  constructor(cause?: unknown) {
    super('ABORT_ERR', 'The job was cancelled through its AbortSignal.', cause === undefined ? undefined : { cause });
    this.name = 'AbortError';
  }
}

/** Every stable code, for docs and `switch` exhaustiveness. */
export const ERROR_CODES = [
  'ERR_INVALID_OPTION',
  'ERR_POOL_CLOSED',
  'ERR_JOB_TIMEOUT',
  'ERR_WORKER_CRASHED',
  'ERR_WORKER_INIT',
  'ERR_UNSERIALIZABLE',
  'ERR_MESSAGE_TOO_LARGE',
  'ERR_NO_PENDING_JOBS',
  'ERR_QUEUE_FULL',
  'ERR_CALLBACK_UNKNOWN',
  'ERR_CALLBACK_FAILED',
  'ERR_CALLBACK_TIMEOUT',
  'ERR_TASK_UNKNOWN',
  'ERR_PROTOCOL',
  'ERR_PREFORK_CHILD_ONLY',
  'ABORT_ERR',
  // the CLI (classes in src/cli/errors.ts; ERR_JOB_FAILED marks a worker error that had no code)
  'ERR_USAGE',
  'ERR_BAD_INPUT',
  'ERR_BAD_OUTPUT',
  'ERR_JOB_FAILED',
  // forkpool/bullmq (classes in src/bullmq/errors.ts, exported from 'forkpool/bullmq')
  'ERR_REDIS_UNAVAILABLE',
  'ERR_WORKER_HOST_LOST',
  'ERR_JOB_LOST',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];
