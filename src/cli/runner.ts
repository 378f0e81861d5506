/**
 * What the CLI drives: anything that runs one job and can be closed. The local process pool is
 * one (see pool-runner.ts); a queue-backed runner plugs into the same line reader, ordered
 * writer, progress, summary and exit codes.
 */
export interface Runner {
  /**
   * Runs one parsed input line; resolves with the value to write, rejects with the error to write.
   * `onProgress` (with --progress) hears the job's `ctx.progress` values.
   */
  run(job: unknown, onProgress?: (value: unknown) => void): Promise<unknown>;
  /**
   * Graceful: accepted jobs finish, then resources are released. Called again with
   * `{ force: true }` (second Ctrl-C) while a graceful close is pending: stop at once, and
   * reject every unsettled job.
   */
  close(options?: { force?: boolean }): Promise<void>;
  /** How many jobs run at once (e.g. the worker count): in-flight limits are multiples of it. */
  readonly concurrency: number;
  /** Errors after which no job can succeed (e.g. ERR_WORKER_INIT): the CLI stops reading and exits 2. */
  isFatal(error: unknown): boolean;
}
