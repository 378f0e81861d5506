/**
 * The benchmark runner: every (scenario, system, repetition) runs in a fresh process
 * (bench/scenario.js); repetitions are interleaved so that machine noise hits every system alike.
 *
 *   npm run bench                      5 repetitions of everything, table on stdout
 *   npm run bench -- --quick           1 repetition, fewer jobs (a smoke run)
 *   npm run bench -- --write           also write the table into BENCHMARKS.md
 *   npm run bench -- --only=tiny,latency --systems=forkpool,raw-pipe --reps=3
 *   FORKPOOL_BASE_DIST=/tmp/base/dist npm run bench -- --only=tiny   (adds a baseline build's row)
 *
 * Scenarios (--only): tiny, latency, buffer (1 MiB, 4 in flight), burst (200 × 1 MiB at once),
 * object (200 × { id, data: 1 MiB } at once), cold, scaling, prefork, bullmq.
 * FORKPOOL_BASE_DIST=<dist of another build> runs that build as `forkpool-base` wherever forkpool
 * runs, and the report divides forkpool by it (before/after in one interleaved run).
 *
 * Results go to bench/results/<timestamp>.json and bench/results/latest.json.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { machine, renderMarkdown, summarize, writeBenchmarksMd } from './report.js';

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];

const quick = flag('quick');
const reps = Number(option('reps') ?? (quick ? 1 : 5));
const only = option('only')?.split(',');
const onlySystems = option('systems')?.split(',');
const RUN_TIMEOUT_MS = 180_000;

const PROCESS_PEERS = ['poolifier', 'worker-farm', 'jest-worker', 'workerpool', 'tinypool'];
const POOLS = ['forkpool', ...PROCESS_PEERS, 'piscina'];

/** What runs: scenario, systems, and the parameters of one measurement. */
const PLAN = [
  // Tiny jobs are measured in steady state: 40,000 jobs (0.1–0.3 s here) measured mostly JIT tier-up,
  // with spreads of ±15–25 % between repetitions.
  { scenario: 'tiny', systems: [...POOLS, 'forkpool-prefetch128', 'raw-pipe', 'raw-ipc'], params: { workers: 2, jobs: quick ? 3000 : 200_000, warmup: quick ? 2000 : 20_000 } },
  { scenario: 'latency', systems: [...POOLS, 'raw-pipe', 'raw-ipc-hot', 'raw-ipc'], params: { workers: 2, jobs: quick ? 300 : 3000, warmup: quick ? 100 : 500 } },
  { scenario: 'buffer', systems: [...POOLS, 'raw-pipe'], params: { workers: 2, jobs: quick ? 20 : 600, warmup: quick ? 8 : 60 } },
  { scenario: 'burst', systems: [...POOLS, 'raw-pipe'], params: { workers: 2, burst: quick ? 20 : 200, bursts: quick ? 1 : 3, warmupBursts: 1 } },
  { scenario: 'object', systems: [...POOLS, 'raw-pipe'], params: { workers: 2, burst: quick ? 20 : 200, bursts: quick ? 1 : 3, warmupBursts: 1 } },
  // The raw baselines: 8 forked children each sent its job at once (raw-ipc), and the fastest
  // hand-written start (raw-ipc-staggered): the floor a child-process pool starts from.
  { scenario: 'cold', systems: [...POOLS, 'raw-ipc', 'raw-ipc-staggered'], params: { workers: 8 } },
  ...(quick ? [1, 2] : [1, 2, 4, 8]).map((workers) => ({
    scenario: 'scaling',
    label: `${workers}`,
    systems: ['forkpool', 'forkpool-prefetch128', 'poolifier', 'worker-farm', 'raw-pipe'],
    params: { workers, jobs: quick ? 2000 : 100_000, warmup: quick ? 2000 : 10_000 },
  })),
];

function runOne(spec) {
  // `scaling` is the tiny-job scenario at another worker count.
  const child = spawn(process.execPath, [here('./scenario.js'), JSON.stringify({ ...spec, scenario: spec.scenario === 'scaling' ? 'tiny' : spec.scenario })], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop();
      try {
        resolve({ ...JSON.parse(line), scenario: spec.scenario });
      } catch {
        resolve({ ...spec, error: `exited with ${signal ?? code}: ${out.slice(-500)}` });
      }
    });
  });
}

function runScript(file, scriptArgs) {
  const child = spawn(process.execPath, [file, ...scriptArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  return new Promise((resolve) => {
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: code, output: out.trim() });
    });
  });
}

// With FORKPOOL_BASE_DIST=<another build's dist>, that build runs next to forkpool (before/after).
const withBase = (systems) => (process.env.FORKPOOL_BASE_DIST && systems.includes('forkpool') ? [...systems, 'forkpool-base'] : systems);
const plan = PLAN.filter((p) => !only || only.includes(p.scenario)).map((p) => ({
  ...p,
  systems: withBase(p.systems).filter((s) => !onlySystems || onlySystems.includes(s)),
}));
const total = plan.reduce((n, p) => n + p.systems.length, 0) * reps;
const runs = [];
const started = new Date();
let done = 0;
for (let rep = 0; rep < reps; rep++) {
  for (const step of plan) {
    for (const system of step.systems) {
      const result = await runOne({ scenario: step.scenario, system, ...step.params });
      runs.push({ ...result, rep });
      done++;
      const note = result.error ? `ERROR ${result.error.split('\n')[0]}` : '';
      process.stderr.write(`[${done}/${total}] ${step.scenario}${step.label ? `(${step.label})` : ''} ${system} ${note}\n`);
    }
  }
}

const extras = {};
const prefork = here('./prefork-idle-cpu.js');
if (existsSync(prefork) && (!only || only.includes('prefork'))) {
  process.stderr.write('prefork-idle-cpu.js\n');
  // Its arguments: children, measured window (ms).
  extras.preforkIdleCpu = await runScript(prefork, quick ? ['8', '1000'] : []);
}

const bullmq = here('./bullmq-throughput.js');
const haveRedis = Boolean(process.env.REDIS_URL) || (process.env.PATH ?? '').split(':').some((dir) => existsSync(`${dir}/redis-server`));
if (existsSync(bullmq) && haveRedis && (!only || only.includes('bullmq'))) {
  process.stderr.write('bullmq-throughput.js\n');
  extras.bullmqThroughput = await runScript(bullmq, ['--jobs', quick ? '2000' : '20000']);
}

const summary = summarize(runs);
const command = `${process.env.FORKPOOL_BASE_DIST ? `FORKPOOL_BASE_DIST=${process.env.FORKPOOL_BASE_DIST} ` : ''}npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`;
const report = { date: started.toISOString(), command, quick, reps, machine: machine(), summary, extras, runs };
mkdirSync(here('./results'), { recursive: true });
const json = JSON.stringify(report, null, 2);
writeFileSync(here(`./results/${started.toISOString().replace(/[:.]/g, '-')}.json`), json);
writeFileSync(here('./results/latest.json'), json);
const markdown = renderMarkdown(report);
process.stdout.write(`${markdown}\n`);
if (flag('write')) {
  writeBenchmarksMd(here('../BENCHMARKS.md'), report, markdown);
  process.stderr.write('BENCHMARKS.md updated\n');
}
