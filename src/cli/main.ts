#!/usr/bin/env node
/**
 * The `forkpool` executable. Exit codes: 0 all jobs fulfilled, 1 some failed, 2 usage error,
 * 130 interrupted (see program.ts).
 */
import { CommanderError } from 'commander';
import { ForkpoolError } from '../errors.js';
import { EXIT } from './exit-codes.js';
import { createProgram } from './program.js';

async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.OK;
  try {
    await createProgram((exitCode) => {
      code = exitCode;
    }).parseAsync(argv);
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version "fail" with exit code 0; every parse error is a usage error.
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (error instanceof ForkpoolError) {
      // ERR_USAGE from the CLI, ERR_INVALID_OPTION from the pool: both say how to fix them.
      process.stderr.write(`forkpool: ${error.message}\n`);
      return EXIT.USAGE;
    }
    process.stderr.write(`forkpool: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.FAILED;
  }
}

// Exit explicitly: a stdin left open by an interrupted read must not keep the process alive.
// Everything written has been flushed by now (stdout pipes and files are written synchronously or awaited).
process.exit(await main(process.argv));
