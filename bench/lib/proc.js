/** Linux /proc readings about this process's children: CPU time and peak RSS, pool-agnostic. */
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ; 100 on every Linux this runs on

function readStat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces; fields after it are space-separated.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND };
  } catch {
    return undefined;
  }
}

function peakRssMiB(pid) {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Live child processes of this process: pid, CPU seconds used so far, peak RSS (MiB). */
export function children() {
  const out = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(name);
    if (stat?.ppid !== process.pid) continue;
    out.push({ pid: Number(name), cpuSeconds: stat.cpuSeconds, peakRssMiB: peakRssMiB(name) });
  }
  return out;
}

/** Waits (bounded) for every child to exit; SIGKILLs stragglers and says how many there were. */
export async function reapChildren(waitMs = 3000) {
  const until = Date.now() + waitMs;
  let left = children();
  while (left.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    left = children();
  }
  for (const { pid } of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.length;
}

/** This process's own peak RSS (MiB). */
export function ownPeakRssMiB() {
  return peakRssMiB('self');
}
