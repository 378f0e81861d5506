/** Turns raw runs into medians, spreads, ratios and the markdown table. */
import { cpus, release, totalmem } from 'node:os';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { median, spread } from './lib/stats.js';
import { SYSTEMS } from './systems.js';

const PROCESS_PEERS = ['poolifier', 'worker-farm', 'jest-worker', 'workerpool', 'tinypool'];
const METRICS = ['jobsPerSec', 'roundTripUs', 'p90Us', 'p99Us', 'rtCpuUs', 'cpuMsPerMiB', 'parentCpuMsPerMiB', 'parentPeakRssMiB', 'workerPeakRssMiB', 'rtParentCpuUs', 'mibPerSec', 'firstResultMs', 'allResultsMs', 'distinctWorkers', 'parentCpu', 'cpuPerWorker', 'cpuUsPerJob', 'peakRssPerWorkerMiB'];

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

const MIB_SCENARIOS = [
  ['buffer', '1 MiB Buffer, 4 in flight'],
  ['burst', '200 × 1 MiB Buffer at once'],
  ['object', '200 × { id, data: 1 MiB } at once'],
];

export function renderMarkdown(report) {
  const { summary } = report;
  const lines = [];
  const bestTiny = best(summary, 'tiny', 'jobsPerSec', true);
  const bestRt = best(summary, 'latency', 'roundTripUs', false);
  const bestCold = best(summary, 'cold', 'firstResultMs', false);
  const bestMib = Object.fromEntries(MIB_SCENARIOS.map(([scenario]) => [scenario, best(summary, scenario, 'mibPerSec', true)]));
  const rawPipe = get(summary, 'tiny', 'raw-pipe', 'jobsPerSec');
  const hot = (metric) => get(summary, 'latency', 'raw-ipc-hot', metric);

  lines.push(`Medians of ${report.reps} fresh process${report.reps > 1 ? 'es' : ''} per cell, ± half the min–max range. 2 workers unless noted.`);
  lines.push('');
  lines.push('| system | tiny jobs/s | ÷ best process peer | ÷ raw pipe | round trip µs, median | p90 | ÷ raw IPC one hot child (median / p90) | CPU µs per round trip (all processes) | cold start, 8 workers: first result ms | all 8 results ms |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  const systems = ['forkpool', 'forkpool-prefetch128', 'forkpool-base', ...PROCESS_PEERS, 'piscina', 'raw-pipe', 'raw-ipc-hot', 'raw-ipc', 'raw-ipc-staggered'];
  for (const system of systems) {
    const row = (scenario) => summary[scenario]?.[system];
    if (!row('tiny') && !row('latency') && !row('cold')) continue;
    const rt = (metric) => ratio(get(summary, 'latency', system, metric), hot(metric));
    lines.push(
      `| ${SYSTEMS[system].label} | ${cell(row('tiny')?.jobsPerSec)} | ${ratio(get(summary, 'tiny', system, 'jobsPerSec'), bestTiny?.value)} | ${ratio(get(summary, 'tiny', system, 'jobsPerSec'), rawPipe)} | ` +
        `${cell(row('latency')?.roundTripUs)} | ${cell(row('latency')?.p90Us)} | ${row('latency') ? `${rt('roundTripUs')} / ${rt('p90Us')}` : '—'} | ${cell(row('latency')?.rtCpuUs)} | ` +
        `${cell(row('cold')?.firstResultMs)} | ${cell(row('cold')?.allResultsMs)} |`,
    );
  }
  lines.push('');
  lines.push(`Best process peer: tiny jobs ${bestTiny?.system ?? '—'}, round trip ${bestRt?.system ?? '—'}, cold start ${bestCold?.system ?? '—'}.`);
  lines.push('');

  if (MIB_SCENARIOS.some(([scenario]) => summary[scenario])) {
    lines.push('1 MiB payloads, each way (MiB/s per direction; CPU is all processes\' CPU time per 1 MiB job, ms, which a loaded machine disturbs less than wall time):');
    lines.push('');
    lines.push(`| system | ${MIB_SCENARIOS.map(([, title]) => `${title}, MiB/s | ÷ best process peer | CPU ms per job`).join(' | ')} |`);
    lines.push(`|---|${MIB_SCENARIOS.map(() => '---|---|---|').join('')}`);
    for (const system of systems) {
      if (!MIB_SCENARIOS.some(([scenario]) => summary[scenario]?.[system])) continue;
      const cells = MIB_SCENARIOS.map(([scenario]) => {
        const e = summary[scenario]?.[system];
        return `${cell(e?.mibPerSec)} | ${ratio(e?.mibPerSec?.median, bestMib[scenario]?.value)} | ${cell(e?.cpuMsPerMiB, 2)}`;
      });
      lines.push(`| ${SYSTEMS[system].label} | ${cells.join(' | ')} |`);
    }
    lines.push('');
    lines.push(`Best process peer: ${MIB_SCENARIOS.map(([scenario, title]) => `${title} ${bestMib[scenario]?.system ?? '—'}`).join(', ')}.`);
    lines.push('');
    if (MIB_SCENARIOS.some(([scenario]) => Object.values(summary[scenario] ?? {}).some((e) => e.parentPeakRssMiB))) {
      lines.push('Memory in the 1 MiB scenarios (peak RSS over the whole run, MiB: the parent / the largest worker):');
      lines.push('');
      lines.push(`| system | ${MIB_SCENARIOS.map(([, title]) => title).join(' | ')} |`);
      lines.push(`|---|${MIB_SCENARIOS.map(() => '---|').join('')}`);
      for (const system of systems) {
        if (!MIB_SCENARIOS.some(([scenario]) => summary[scenario]?.[system]?.parentPeakRssMiB)) continue;
        const cells = MIB_SCENARIOS.map(([scenario]) => {
          const e = summary[scenario]?.[system];
          return e?.parentPeakRssMiB ? `${fmt(e.parentPeakRssMiB.median)} / ${fmt(e.workerPeakRssMiB?.median)}` : '—';
        });
        lines.push(`| ${SYSTEMS[system].label} | ${cells.join(' | ')} |`);
      }
      lines.push('');
    }
  }

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

  const fp = (scenario, metric, system = 'forkpool') => get(summary, scenario, system, metric);
  const known = (v) => (Number.isFinite(v) ? v : undefined);
  const goal = (text, value, ok, note) =>
    lines.push(`- ${text}: **${known(value) === undefined ? '—' : `${value.toFixed(2)}×`}** — ${known(value) === undefined ? 'not measured' : ok ? 'met' : 'NOT met'}${note ? ` (${note})` : ''}`);
  const us = (v) => (v === undefined ? '—' : `${fmt(v)} µs`);
  lines.push('Goals (issue 16), as ratios from this run:');
  lines.push('');
  const rtMedian = fp('latency', 'roundTripUs') / (hot('roundTripUs') ?? NaN);
  const rtP90 = fp('latency', 'p90Us') / (hot('p90Us') ?? NaN);
  goal('round trip, one job at a time, median ÷ raw IPC ping-pong to one hot child (goal ≤ 1.1×)', rtMedian, rtMedian <= 1.1, `${us(fp('latency', 'roundTripUs'))} against ${us(hot('roundTripUs'))}`);
  goal('round trip p90 ÷ raw IPC one hot child p90 (goal ≤ 1.25×)', rtP90, rtP90 <= 1.25, `${us(fp('latency', 'p90Us'))} against ${us(hot('p90Us'))}`);
  for (const [scenario, title] of MIB_SCENARIOS) {
    const peer = bestMib[scenario];
    const value = fp(scenario, 'mibPerSec') / (peer?.value ?? NaN);
    const raw = fp(scenario, 'mibPerSec', 'raw-pipe');
    const cpu = fp(scenario, 'cpuMsPerMiB');
    const peerCpu = peer ? fp(scenario, 'cpuMsPerMiB', peer.system) : undefined;
    const notes = [
      peer ? `best process peer ${peer.system}` : undefined,
      raw !== undefined && peer ? `raw byte pipe ÷ best peer ${(raw / peer.value).toFixed(2)}×` : undefined,
      cpu !== undefined && peerCpu !== undefined ? `CPU per job ${cpu.toFixed(2)} ms against ${peerCpu.toFixed(2)} ms` : undefined,
    ].filter(Boolean);
    goal(`${title} ÷ best process peer (goal ≥ 1.5×)`, value, value >= 1.5, notes.join('; '));
  }
  const coldVsPeer = fp('cold', 'firstResultMs') / (bestCold?.value ?? NaN);
  const rawCold = get(summary, 'cold', 'raw-ipc-staggered', 'firstResultMs');
  const coldNotes = [bestCold?.system, rawCold === undefined || !bestCold ? undefined : `raw child_process floor ${fmt(rawCold)} ms = ${(rawCold / bestCold.value).toFixed(2)}× ${bestCold.system}; forkpool ÷ raw ${(fp('cold', 'firstResultMs') / rawCold).toFixed(2)}×`];
  goal('cold start (pool of 8, first result) ÷ fastest process peer (goal ≤ 0.8×)', coldVsPeer, coldVsPeer <= 0.8, coldNotes.filter(Boolean).join('; ') || undefined);
  const tinyVsPeer = fp('tiny', 'jobsPerSec') / (bestTiny?.value ?? NaN);
  const tinyVsPipe = fp('tiny', 'jobsPerSec') / (rawPipe ?? NaN);
  goal('tiny-job throughput ÷ best process peer (goal ≥ 2.5×)', tinyVsPeer, tinyVsPeer >= 2.5, bestTiny?.system);
  goal('tiny-job throughput ÷ raw pipe (goal ≥ 0.7×)', tinyVsPipe, tinyVsPipe >= 0.7);
  if (Object.values(summary).some((cells) => cells?.['forkpool-base'])) {
    const tinyVsBase = fp('tiny', 'jobsPerSec') / (fp('tiny', 'jobsPerSec', 'forkpool-base') ?? NaN);
    const cpuVsBase = fp('tiny', 'cpuUsPerJob') / (fp('tiny', 'cpuUsPerJob', 'forkpool-base') ?? NaN);
    goal(
      'tiny-job throughput, forkpool ÷ forkpool (baseline build) (issues 12/13/17: within 5%, ≥ 0.95×)',
      tinyVsBase,
      tinyVsBase >= 0.95,
      known(cpuVsBase) === undefined ? undefined : `CPU per job, forkpool ÷ baseline build: ${cpuVsBase.toFixed(2)}×`,
    );
    // Issue 13 asks the same of 1 MiB Buffers: both Buffer shapes (the object shape is issue 16's).
    for (const [scenario, title] of MIB_SCENARIOS.filter(([scenario]) => scenario !== 'object')) {
      const mibVsBase = fp(scenario, 'mibPerSec') / (fp(scenario, 'mibPerSec', 'forkpool-base') ?? NaN);
      const mibCpuVsBase = fp(scenario, 'cpuMsPerMiB') / (fp(scenario, 'cpuMsPerMiB', 'forkpool-base') ?? NaN);
      goal(
        `${title} throughput, forkpool ÷ forkpool (baseline build) (issue 13: within 5%, ≥ 0.95×)`,
        mibVsBase,
        mibVsBase >= 0.95,
        known(mibCpuVsBase) === undefined ? undefined : `CPU per job, forkpool ÷ baseline build: ${mibCpuVsBase.toFixed(2)}×`,
      );
    }
    const compare = [
      ['latency', 'roundTripUs', 'round trip median'],
      ['latency', 'p90Us', 'round trip p90'],
      ['latency', 'rtCpuUs', 'CPU per round trip'],
      ...MIB_SCENARIOS.flatMap(([scenario, title]) => [
        [scenario, 'mibPerSec', `${title} MiB/s`],
        [scenario, 'cpuMsPerMiB', `${title} CPU per job`],
      ]),
    ]
      .map(([scenario, metric, title]) => [title, fp(scenario, metric) / (fp(scenario, metric, 'forkpool-base') ?? NaN)])
      .filter(([, value]) => known(value) !== undefined)
      .map(([title, value]) => `${title} ${value.toFixed(2)}×`);
    if (compare.length) lines.push(`  - forkpool ÷ baseline build, for scale (lower is better for times and CPU): ${compare.join('; ')}`);
  }
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
