/** Turns raw runs into medians, spreads, ratios and the markdown table. */
import { cpus, release, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { median, spread } from './lib/stats.js';
import { SYSTEMS } from './systems.js';

const PROCESS_PEERS = ['poolifier', 'worker-farm', 'jest-worker', 'workerpool', 'tinypool'];
const METRICS = ['jobsPerSec', 'roundTripUs', 'p99Us', 'mibPerSec', 'firstResultMs', 'allResultsMs', 'distinctWorkers', 'parentCpu', 'cpuPerWorker', 'cpuUsPerJob', 'peakRssPerWorkerMiB'];

export function machine() {
  const cpu = cpus();
  return {
    cpu: `${cpu[0]?.model ?? 'unknown'} × ${cpu.length}`,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${process.platform} ${release()}`,
    node: process.version,
  };
}

/** { [scenario]: { [system or system@workers]: { metric: { median, spread, n } } } } */
export function summarize(runs) {
  const groups = new Map();
  for (const run of runs) {
    if (run.error) continue;
    const key = `${run.scenario}|${run.system}${run.scenario === 'scaling' ? `@${run.workers}` : ''}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(run);
  }
  const summary = {};
  for (const [key, list] of groups) {
    const [scenario, name] = key.split('|');
    const entry = { n: list.length, leftover: list.reduce((s, r) => s + (r.leftover ?? 0), 0) };
    for (const metric of METRICS) {
      const values = list.map((r) => r[metric]).filter((v) => typeof v === 'number');
      if (values.length) entry[metric] = { median: median(values), spread: spread(values) };
    }
    summary[scenario] ??= {};
    summary[scenario][name] = entry;
  }
  const errors = runs.filter((r) => r.error).map((r) => `${r.scenario} ${r.system}: ${r.error.split('\n')[0]}`);
  if (errors.length) summary.errors = errors;
  return summary;
}

const get = (summary, scenario, system, metric) => summary[scenario]?.[system]?.[metric]?.median;

function best(summary, scenario, metric, higherIsBetter) {
  let found;
  for (const system of PROCESS_PEERS) {
    const value = get(summary, scenario, system, metric);
    if (value === undefined) continue;
    if (!found || (higherIsBetter ? value > found.value : value < found.value)) found = { system, value };
  }
  return found;
}

const fmt = (value, digits = 0) =>
  value === undefined ? '—' : value >= 1000 ? Math.round(value).toLocaleString('en-US') : value.toFixed(digits);
const cell = (entry, digits = 0) => (entry ? `${fmt(entry.median, digits)} ±${entry.spread.toFixed(0)}%` : '—');
const ratio = (a, b) => (a === undefined || b === undefined ? '—' : `${(a / b).toFixed(2)}×`);

export function renderMarkdown(report) {
  const { summary } = report;
  const lines = [];
  const bestTiny = best(summary, 'tiny', 'jobsPerSec', true);
  const bestRt = best(summary, 'latency', 'roundTripUs', false);
  const bestBuf = best(summary, 'buffer', 'mibPerSec', true);
  const bestCold = best(summary, 'cold', 'firstResultMs', false);
  const rawPipe = get(summary, 'tiny', 'raw-pipe', 'jobsPerSec');
  const rawIpcRt = get(summary, 'latency', 'raw-ipc', 'roundTripUs');

  lines.push(`Medians of ${report.reps} fresh process${report.reps > 1 ? 'es' : ''} per cell, ± half the min–max range. 2 workers unless noted.`);
  lines.push('');
  lines.push('| system | tiny jobs/s | ÷ best process peer | ÷ raw pipe | round trip µs (median) | ÷ raw IPC | 1 MiB each way, MiB/s | ÷ best process peer | cold start, 8 workers: first result ms | all 8 results ms |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  const systems = ['forkpool', 'forkpool-prefetch128', 'forkpool-base', ...PROCESS_PEERS, 'piscina', 'raw-pipe', 'raw-ipc'];
  for (const system of systems) {
    const row = (scenario) => summary[scenario]?.[system];
    if (!row('tiny') && !row('latency') && !row('buffer') && !row('cold')) continue;
    lines.push(
      `| ${SYSTEMS[system].label} | ${cell(row('tiny')?.jobsPerSec)} | ${ratio(get(summary, 'tiny', system, 'jobsPerSec'), bestTiny?.value)} | ${ratio(get(summary, 'tiny', system, 'jobsPerSec'), rawPipe)} | ` +
        `${cell(row('latency')?.roundTripUs)} | ${ratio(get(summary, 'latency', system, 'roundTripUs'), rawIpcRt)} | ` +
        `${cell(row('buffer')?.mibPerSec)} | ${ratio(get(summary, 'buffer', system, 'mibPerSec'), bestBuf?.value)} | ` +
        `${cell(row('cold')?.firstResultMs)} | ${cell(row('cold')?.allResultsMs)} |`,
    );
  }
  lines.push('');
  lines.push(`Best process peer: tiny jobs ${bestTiny?.system ?? '—'}, round trip ${bestRt?.system ?? '—'}, 1 MiB ${bestBuf?.system ?? '—'}, cold start ${bestCold?.system ?? '—'}.`);
  lines.push('');

  if (summary.scaling) {
    lines.push('Scaling (tiny jobs; CPU as fractions of one core over the measured window, from /proc; RSS is the peak per worker process):');
    lines.push('');
    lines.push('| system | workers | jobs/s | parent CPU | CPU per worker | CPU µs per job (all processes) | peak RSS per worker MiB |');
    lines.push('|---|---|---|---|---|---|---|');
    const keys = Object.keys(summary.scaling).sort((a, b) => {
      const [sa, wa] = a.split('@');
      const [sb, wb] = b.split('@');
      return sa === sb ? Number(wa) - Number(wb) : systems.indexOf(sa) - systems.indexOf(sb);
    });
    for (const key of keys) {
      const [system, workers] = key.split('@');
      const e = summary.scaling[key];
      lines.push(`| ${SYSTEMS[system].label} | ${workers} | ${cell(e.jobsPerSec)} | ${cell(e.parentCpu, 2)} | ${cell(e.cpuPerWorker, 2)} | ${cell(e.cpuUsPerJob)} | ${cell(e.peakRssPerWorkerMiB)} |`);
    }
    lines.push('');
  }

  const fp = (scenario, metric) => get(summary, scenario, 'forkpool', metric);
  const goal = (text, value, ok) => lines.push(`- ${text}: **${value}** — ${ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met'}`);
  lines.push('Goals (issue 6), as ratios from this run:');
  lines.push('');
  const tinyVsPeer = fp('tiny', 'jobsPerSec') / (bestTiny?.value ?? NaN);
  const tinyVsPipe = fp('tiny', 'jobsPerSec') / (rawPipe ?? NaN);
  const rtVsIpc = fp('latency', 'roundTripUs') / (rawIpcRt ?? NaN);
  const bufVsPeer = fp('buffer', 'mibPerSec') / (bestBuf?.value ?? NaN);
  const coldVsPeer = fp('cold', 'firstResultMs') / (bestCold?.value ?? NaN);
  const known = (v) => (Number.isFinite(v) ? v : undefined);
  goal('tiny-job throughput ÷ fastest process peer (goal ≥ 2×)', `${tinyVsPeer.toFixed(2)}×`, known(tinyVsPeer) && tinyVsPeer >= 2);
  goal('tiny-job throughput ÷ raw pipe (goal ≥ 0.60)', `${tinyVsPipe.toFixed(2)}`, known(tinyVsPipe) && tinyVsPipe >= 0.6);
  goal('round trip ÷ raw IPC ping-pong (goal ≤ 1.1×)', `${rtVsIpc.toFixed(2)}×`, known(rtVsIpc) && rtVsIpc <= 1.1);
  goal('1 MiB Buffers ÷ best process peer (goal ≥ 1.8×)', `${bufVsPeer.toFixed(2)}×`, known(bufVsPeer) && bufVsPeer >= 1.8);
  const rawBytesVsPeer = get(summary, 'buffer', 'raw-pipe', 'mibPerSec') / (bestBuf?.value ?? NaN);
  if (known(rawBytesVsPeer)) {
    lines.push(`  - for scale: the raw byte pipe (no snapshot, no copy, no clone) ÷ best process peer: **${rawBytesVsPeer.toFixed(2)}×**; forkpool ÷ raw byte pipe: **${(fp('buffer', 'mibPerSec') / get(summary, 'buffer', 'raw-pipe', 'mibPerSec')).toFixed(2)}**`);
  }
  goal('cold start first result ÷ fastest process peer (goal < 1×)', `${coldVsPeer.toFixed(2)}×`, known(coldVsPeer) && coldVsPeer < 1);
  const extra = (title, entry) => {
    if (!entry) return;
    lines.push('', title, '', '```', entry.output || `(no output, exit code ${entry.exitCode})`, '```');
  };
  extra('Prefork idle parent CPU (`bench/prefork-idle-cpu.js`):', report.extras?.preforkIdleCpu);
  extra(
    'Distributed mode, tiny jobs through Redis on this machine (`bench/bullmq-throughput.js`: one producer, 2 `forkpool worker` hosts of 2 processes, against a local Pool of 4):',
    report.extras?.bullmqThroughput,
  );
  const leftovers = Object.values(summary).flatMap((s) => (typeof s === 'object' && !Array.isArray(s) ? Object.values(s) : [])).reduce((n, e) => n + (e.leftover ?? 0), 0);
  lines.push('');
  lines.push(`Child processes left behind after close (killed by the harness): ${leftovers}.`);
  if (summary.errors) {
    lines.push('');
    lines.push('Errors:');
    for (const error of summary.errors) lines.push(`- ${error}`);
  }
  return lines.join('\n');
}

const START = '<!-- bench:results -->';
const END = '<!-- /bench:results -->';

/** Replaces the generated part of BENCHMARKS.md (between the markers), keeping the prose around it. */
export function writeBenchmarksMd(path, report, markdown) {
  const m = report.machine;
  const generated = [
    START,
    `Date: ${report.date}  `,
    `Command: \`${report.command}\`  `,
    `Machine: ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}${report.quick ? '  \n**Quick run: one repetition, few jobs — not representative.**' : ''}`,
    '',
    markdown,
    END,
  ].join('\n');
  const current = existsSync(path) ? readFileSync(path, 'utf8') : `# Benchmarks\n\n${START}\n${END}\n`;
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next = start === -1 || end === -1 ? `${current.trimEnd()}\n\n${generated}\n` : current.slice(0, start) + generated + current.slice(end + END.length);
  writeFileSync(path, next);
}
