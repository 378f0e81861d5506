#!/usr/bin/env node
// Writes `count` jobs as JSON lines: consecutive ranges of `width` numbers starting at `start`.
// Usage: node examples/primes/generate.js [count=4000] [width=2000] [start=10000000]
import { pathToFileURL } from 'node:url';

export function* jobs(count, width, start) {
  for (let i = 0; i < count; i++) {
    const from = start + i * width;
    yield { from, to: from + width };
  }
}

/** Writes the jobs to a stream, waiting for it to drain, so a slow reader bounds memory. */
export async function writeJobs(stream, count = 4000, width = 2000, start = 10_000_000) {
  for (const job of jobs(count, width, start)) {
    if (!stream.write(`${JSON.stringify(job)}\n`)) await new Promise((resolve) => stream.once('drain', resolve));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  // The reader went away (`| head`, a stopped forkpool): stop quietly.
  process.stdout.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
  const [count, width, start] = process.argv.slice(2).map(Number);
  await writeJobs(process.stdout, count || undefined, width || undefined, start || undefined);
}
