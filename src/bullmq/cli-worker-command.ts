import { Option, type Command } from 'commander';
import { integerArg } from '../cli/args.js';
import type { WorkerCommandOptions } from './cli-worker.js';

const WORKER_HELP = `
Consumes the BullMQ queue NAME on Redis and runs each job in a local pool of worker
processes, with the same isolation, timeouts, crash errors and recycling as "forkpool run".
Start any number of these, on any number of machines; submit jobs with
"forkpool run --redis URL --queue NAME" or DistributedPool from "forkpool/bullmq".

Stopping: SIGTERM or Ctrl-C stops taking jobs; running ones finish and report; then the
host exits 0. A second signal stops at once and hands running jobs back to the queue.
Outcomes Redis does not take within --redis-timeout of the last job's end are logged as
lost (those jobs run again elsewhere if Redis still has them) and the host exits 1.
While Redis is away the host waits for it and carries on when it is back.
A host that dies (SIGKILL, power loss) has its jobs retried by other hosts within about
--lock-duration + 2 x --stalled-interval.

Exit codes: 0 stopped by a signal after finishing and reporting its jobs; 1 stopped by an
error (the worker module stopped loading) or outcomes lost at stop; 2 usage error (bad
option, module, or Redis unreachable for --redis-timeout at start).

Example (two machines, Redis on 10.0.0.5):
  machine-a$ forkpool worker ./resize.mjs --redis redis://10.0.0.5:6379 --queue images --workers 8
  machine-b$ forkpool worker ./resize.mjs --redis redis://10.0.0.5:6379 --queue images --workers 8
  laptop$    forkpool run --redis redis://10.0.0.5:6379 --queue images < jobs.jsonl > results.jsonl
`;

/**
 * Adds `forkpool worker` to the program. BullMQ is loaded only when the command runs (it is an
 * optional peer dependency): this file imports neither bullmq nor ioredis.
 */
export function addWorkerCommand(program: Command, onExit: (code: number) => void): void {
  program
    .command('worker')
    .description('Run jobs from a BullMQ queue on Redis in a local pool of worker processes (one host of many).')
    .argument('<worker-module>', 'the worker module: default export work(job, ctx), optional init(initData)')
    .requiredOption('--redis <url>', 'Redis URL, e.g. redis://10.0.0.5:6379 (rediss:// for TLS)')
    .requiredOption('--queue <name>', 'the queue to consume')
    .addOption(new Option('-w, --workers <n>', "worker processes (default: the machine's available parallelism)").argParser(integerArg(1, '--workers 4')))
    .addOption(new Option('-t, --timeout <ms>', 'per-job time limit in ms; 0 = none (a producer may set its own per job) (default: 0)').argParser(integerArg(0, '--timeout 5000')))
    .addOption(new Option('--max-jobs-per-worker <n>', 'replace a process after it ran this many jobs; 0 = never (default: 0)').argParser(integerArg(0, '--max-jobs-per-worker 1000')))
    .addOption(new Option('--max-memory-per-worker <mib>', 'replace a process whose RSS grew past this many MiB; 0 = never (default: 0)').argParser(integerArg(0, '--max-memory-per-worker 512')))
    .addOption(new Option('--concurrency <n>', 'jobs taken from Redis at once (default: 2 x workers)').argParser(integerArg(1, '--concurrency 16')))
    .addOption(new Option('--lock-duration <ms>', 'BullMQ job lock (default: 3000)').argParser(integerArg(100, '--lock-duration 3000')))
    .addOption(new Option('--stalled-interval <ms>', 'how often to look for jobs of dead hosts (default: 1000)').argParser(integerArg(100, '--stalled-interval 1000')))
    .addOption(new Option('--max-stalled-count <n>', 'host losses a job survives before it fails with ERR_WORKER_HOST_LOST (default: 3)').argParser(integerArg(0, '--max-stalled-count 3')))
    .addOption(new Option('--redis-timeout <ms>', 'how long to wait for Redis at start, and at stop for the last outcomes to be reported (default: 30000)').argParser(integerArg(1, '--redis-timeout 30000')))
    .option('--name <name>', 'this host\'s name in BullMQ (default: hostname:pid)')
    .addHelpText('after', WORKER_HELP)
    .exitOverride()
    .action(async (worker: string, options: WorkerCommandOptions) => {
      const { runWorkerCommand } = await import('./cli-worker.js');
      onExit(await runWorkerCommand(worker, options));
    });
}
