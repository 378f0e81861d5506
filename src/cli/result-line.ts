import { BadOutputError } from './errors.js';

/** Code written for a worker's error that has none of its own (e.g. `throw new Error('x')`). */
export const JOB_FAILED = 'ERR_JOB_FAILED';

/** The stable code of any rejection: the error's own string `code`, else ERR_JOB_FAILED. */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : JOB_FAILED;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}

/** A formatted output line and whether it counts as done (true) or failed (false). */
export interface ResultLine {
  line: string;
  ok: boolean;
}

/** `{"index":N,"error":{"code":...,"message":...}}` */
export function errorLine(index: number, error: unknown): ResultLine {
  return { line: `${JSON.stringify({ index, error: { code: errorCode(error), message: errorMessage(error) } })}\n`, ok: false };
}

/** `{"index":N,"value":...}`; `undefined` is written as null so the key is always there. */
export function valueLine(index: number, value: unknown): ResultLine {
  try {
    return { line: `${JSON.stringify({ index, value: value === undefined ? null : value })}\n`, ok: true };
  } catch (error) {
    return errorLine(index, new BadOutputError((error as Error).message));
  }
}
