// bench/long-job.js's worker: spins synchronously for job.ms (0 for a tiny job), returns its value and pid.
export default function work(job) {
  const end = performance.now() + (job.ms ?? 0);
  while (performance.now() < end);
  return { value: job.value, pid: process.pid };
}
