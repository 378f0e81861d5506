import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { integerArg, taskArg } from './args.js';
import { addWorkerCommand } from '../bullmq/cli-worker-command.js';
import { runCommand, type RunCommandOptions } from './run-command.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

const RUN_HELP = `
Input: one JSON value per line (stdin or --input); each line is one job, passed to the
worker module's default export work(job, ctx), or with --task NAME its export NAME.
Blank lines are skipped but counted.

Output: one JSON line per job (stdout or --output), in completion order unless --ordered;
"index" is the job's 0-based line number in the input:
  {"index":0,"value":<what work() returned>}
  {"index":1,"error":{"code":"ERR_JOB_TIMEOUT","message":"..."}}
Error codes: the error's own "code" (ERR_JOB_TIMEOUT, ERR_WORKER_CRASHED, ...);
ERR_JOB_FAILED for an error thrown without a code; ERR_BAD_INPUT for a line that is
not valid JSON, not valid UTF-8 or longer than --max-line-bytes (the lines after it
still run); ERR_BAD_OUTPUT for a result JSON cannot hold (BigInt, cycles).

stdout carries nothing but result lines: what workers print (console.log) goes to
stderr, with the workers' own stderr (--worker-stdout inherit|ignore to change that).

stderr: worker output, a progress line when stderr is a terminal (and results do not go
to that same terminal; redrawn below worker output, never across it), then always one
summary line: "N done, M failed in S s (R jobs/s)".

Exit codes:
  0    every job was fulfilled
  1    some job failed (or reading input / writing output failed mid-run)
  2    usage error: bad option, missing file, missing or unloadable worker module
  130  stopped by Ctrl-C or SIGTERM: the first stops reading input, lets running jobs
       finish and be written, then prints the summary; the second stops at once

Examples:
  $ printf '{"n":7}\\n{"n":12}\\n' | forkpool run ./worker.mjs
  $ forkpool run ./worker.mjs --input jobs.jsonl --output results.jsonl --workers 4 --ordered
  $ forkpool run ./worker.mjs --timeout 5000 --retries 2 < jobs.jsonl > results.jsonl
`;

/**
 * The `forkpool` command line. `onExit` receives the exit code of a command that ran; parse
 * errors surface as commander errors (see main.ts).
 */
export function createProgram(onExit: (code: number) => void): Command {
  const program = new Command('forkpool')
    .description('Run jobs in a pool of worker processes: CPU-heavy, crashing or hanging work, isolated and in parallel.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help (also: forkpool run --help)')
    .showHelpAfterError('(see "forkpool --help" or "forkpool run --help")')
    .exitOverride();

  program
    .command('run')
    .description('Run each JSON line of the input as one job in a pool of worker processes, writing one JSON result line per job.')
    .argument('[worker-module]', 'the worker module (.js/.mjs/.cjs; .ts with tsx installed): default export work(job, ctx), optional init(initData); left out with --redis')
    .option('-i, --input <file>', 'read jobs from this file of JSON lines instead of stdin')
    .option('-o, --output <file>', 'write result lines to this file instead of stdout')
    .addOption(new Option('-w, --workers <n>', 'worker processes (default: the machine\'s available parallelism)').argParser(integerArg(1, '--workers 4')))
    .addOption(new Option('-t, --timeout <ms>', 'per-job time limit in ms; 0 = none (default: 0)').argParser(integerArg(0, '--timeout 5000')))
    .addOption(new Option('-r, --retries <n>', 'retries of a job whose worker crashed (default: 0)').argParser(integerArg(0, '--retries 2')))
    .addOption(new Option('--max-jobs-per-worker <n>', 'replace a worker after it ran this many jobs; 0 = never (default: 0)').argParser(integerArg(0, '--max-jobs-per-worker 1000')))
    .option('--redis <url>', 'send the jobs to a BullMQ queue on this Redis (with --queue) instead of local workers; "forkpool worker" hosts run them')
    .option('--queue <name>', 'the BullMQ queue name (with --redis)')
    .addOption(new Option('--redis-timeout <ms>', 'with --redis: how long Redis may be unreachable before every pending job fails with ERR_REDIS_UNAVAILABLE (default: 30000)').argParser(integerArg(1, '--redis-timeout 30000')))
    .addOption(new Option('--task <name>', "the worker module's export that runs every job (default: its default export); an unknown one fails each job with ERR_TASK_UNKNOWN").argParser(taskArg))
    .option('--progress', 'on the progress line, show the latest ctx.progress(value) of a running job (its JSON, cut to 40 characters)')
    .option('--ordered', 'write results in input order (memory bounded by a window of 64 lines per worker, not by the input size)')
    .addOption(new Option('--max-line-bytes <n>', 'an input line longer than this becomes an ERR_BAD_INPUT error line (default: 67108864, 64 MiB)').argParser(integerArg(1, '--max-line-bytes 1048576')))
    .addOption(new Option('--worker-stdout <where>', "where workers' stdout goes: stderr (default), inherit (this process's stdout, mixed with the results) or ignore").choices(['stderr', 'inherit', 'ignore']))
    .addHelpText('after', RUN_HELP)
    .exitOverride()
    .action(async (worker: string | undefined, options: RunCommandOptions) => {
      onExit(await runCommand(worker, options));
    });

  addWorkerCommand(program, onExit);

  return program;
}
