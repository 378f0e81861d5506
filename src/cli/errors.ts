import { brandError } from '../error-brand.js';
import { ForkpoolError } from '../errors.js';

/** A bad command line, a missing file or an unloadable worker module: the CLI exits with 2. */
export class UsageError extends ForkpoolError {
  static {
    brandError(UsageError, 'ERR_USAGE');
  }

  declare readonly code: 'ERR_USAGE';
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_USAGE', message, options);
    this.name = 'UsageError';
  }
}

/**
 * An input line that is not valid JSON, not UTF-8, or longer than `--max-line-bytes`; it becomes
 * an error line and the run goes on with the next line.
 */
export class BadInputError extends ForkpoolError {
  static {
    brandError(BadInputError, 'ERR_BAD_INPUT');
  }

  declare readonly code: 'ERR_BAD_INPUT';
  /** `detail` is JSON.parse's complaint; `message`, when given, replaces the whole message. */
  constructor(detail: string, message?: string) {
    super('ERR_BAD_INPUT', message ?? `The line is not valid JSON (${detail}): write one JSON value per line, e.g. {"n": 42}.`);
    this.name = 'BadInputError';
  }

  static tooLong(bytes: number, limit: number): BadInputError {
    return new BadInputError(
      'too long',
      `The line is ${bytes} bytes, over the limit of ${limit} (--max-line-bytes): split the job, pass large data by file path, or raise --max-line-bytes.`,
    );
  }

  static notUtf8(offset: number): BadInputError {
    return new BadInputError(
      'not UTF-8',
      `The line is not valid UTF-8 (first bad byte at offset ${offset}): write the input as UTF-8 text (e.g. convert it with iconv -t UTF-8).`,
    );
  }
}

/** A job's result that JSON cannot represent (a BigInt, a cycle): it is written as an error line. */
export class BadOutputError extends ForkpoolError {
  static {
    brandError(BadOutputError, 'ERR_BAD_OUTPUT');
  }

  declare readonly code: 'ERR_BAD_OUTPUT';
  constructor(detail: string) {
    super('ERR_BAD_OUTPUT', `The job's result cannot be written as JSON (${detail}): return plain JSON values (no BigInt, no cycles).`);
    this.name = 'BadOutputError';
  }
}
