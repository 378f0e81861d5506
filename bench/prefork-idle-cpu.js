// Idle CPU of a prefork manager: N children sleep, and the manager's own CPU time is measured over
// a window. The seed's manager polls and burns about 2 CPU-seconds every 3 s; ours waits on events.
//
//   npm run build && node bench/prefork-idle-cpu.js [children=8] [windowMs=3000]
//
// Prints one JSON line. This file is also the children's module (its default export).
import { pathToFileURL } from 'node:url';
import { Prefork } from '../dist/index.js';

/** A child: says it is up, then sleeps until the manager stops it. */
export default async function sleeper(ctx) {
  await ctx.callback('up');
  await new Promise(() => setInterval(() => undefined, 1 << 30));
}

async function main() {
  const children = Number(process.argv[2] ?? 8);
  const windowMs = Number(process.argv[3] ?? 3000);
  let up = 0;
  let allUp;
  const ready = new Promise((resolve) => (allUp = resolve));
  const prefork = new Prefork({
    worker: new URL(import.meta.url),
    maxWorkers: children,
    callbacks: { up: () => void (++up === children && allUp()) },
  });
  const stopped = prefork.start();
  await ready;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await new Promise((resolve) => setTimeout(resolve, windowMs));
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - wallBefore;
  await prefork.close();
  await stopped;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(
    JSON.stringify({
      scenario: 'prefork-idle-cpu',
      children,
      windowMs: Math.round(wallMs),
      parentCpuMs: Number(cpuMs.toFixed(2)),
      parentCpuPercent: Number(((cpuMs / wallMs) * 100).toFixed(3)),
    }),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
