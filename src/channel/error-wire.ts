import { safeString } from '../util/safe-string.js';
import { encodeValue } from './codec.js';

/**
 * Errors cross the boundary as plain records and are rebuilt in the receiver, so that a thrown
 * error keeps its name, message, stack, code, cause and own properties even when some of them
 * could not be cloned (those are dropped one by one, not the whole error).
 */
export interface ErrorRecord {
  name: string;
  message: string;
  stack?: string;
  props: Record<string, unknown>;
  cause?: ErrorRecord | { value: unknown };
  /** A thrown non-Error value (a string, a number, ...). */
  thrown?: unknown;
  isError: boolean;
}

function cloneable(value: unknown): boolean {
  try {
    encodeValue(value);
    return true;
  } catch {
    return false;
  }
}

/** Never throws: whatever was thrown, something describing it crosses the boundary. */
export function toErrorRecord(error: unknown, depth = 0): ErrorRecord {
  try {
    return describeError(error, depth);
  } catch {
    return { name: 'Error', message: safeString(error), props: {}, isError: true };
  }
}

function describeError(error: unknown, depth: number): ErrorRecord {
  if (!(error instanceof Error)) {
    const thrown = cloneable(error) ? error : safeString(error);
    return { name: 'Error', message: safeString(error), props: {}, thrown, isError: false };
  }
  const record: ErrorRecord = {
    name: error.name,
    message: error.message,
    stack: error.stack,
    props: {},
    isError: true,
  };
  for (const key of Object.keys(error)) {
    if (key === 'cause') continue;
    const value = (error as unknown as Record<string, unknown>)[key];
    if (cloneable(value)) record.props[key] = value;
  }
  if ('cause' in error && error.cause !== undefined && depth < 8) {
    record.cause = error.cause instanceof Error ? toErrorRecord(error.cause, depth + 1) : { value: cloneable(error.cause) ? error.cause : safeString(error.cause) };
  }
  return record;
}

const BUILTIN: Record<string, ErrorConstructor> = {
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

export function fromErrorRecord(record: ErrorRecord): unknown {
  if (!record.isError) return record.thrown;
  const Ctor = BUILTIN[record.name] ?? Error;
  const error = new Ctor(record.message) as Error & Record<string, unknown>;
  if (error.name !== record.name) {
    Object.defineProperty(error, 'name', { value: record.name, configurable: true, writable: true, enumerable: false });
  }
  if (record.stack !== undefined) error.stack = record.stack;
  for (const [key, value] of Object.entries(record.props)) {
    if (key === 'name' || key === 'message' || key === 'stack') {
      Object.defineProperty(error, key, { value, configurable: true, writable: true, enumerable: true });
    } else {
      error[key] = value;
    }
  }
  if (record.cause) {
    const cause = 'value' in record.cause && !('isError' in record.cause) ? record.cause.value : fromErrorRecord(record.cause as ErrorRecord);
    Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true, enumerable: false });
  }
  return error;
}
