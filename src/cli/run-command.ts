import { createPoolRunner } from './pool-runner.js';
import { openInput, openOutput, resolveWorkerPath } from './io.js';
import { runSession } from './session.js';

/** The parsed options of `forkpool run` (commander's camelCase names). */
export interface RunCommandOptions {
  input?: string;
  output?: string;
  workers?: number;
  timeout?: number;
  retries?: number;
  maxJobsPerWorker?: number;
  ordered?: boolean;
}

/** `forkpool run <worker>` on the local process pool; resolves with the exit code. */
export async function runCommand(worker: string, options: RunCommandOptions): Promise<number> {
  const workerPath = resolveWorkerPath(worker);
  const input = await openInput(options.input);
  const output = await openOutput(options.output);
  const runner = createPoolRunner({
    worker: workerPath,
    workers: options.workers,
    timeout: options.timeout,
    maxRetries: options.retries,
    maxJobsPerWorker: options.maxJobsPerWorker,
  });
  return runSession({
    runner,
    input,
    output,
    ordered: options.ordered === true,
    inputPath: input === process.stdin ? undefined : options.input,
  });
}
