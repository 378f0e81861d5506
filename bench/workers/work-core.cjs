'use strict';
/**
 * The one job function every system runs, so that only the pool differs:
 * - `{ a, b }`          -> `{ product: a * b }`          (tiny jobs, latency, scaling)
 * - a Buffer/Uint8Array -> the same bytes back           (1 MiB each way)
 * - `{ sleep: ms }`     -> the worker's pid after ms     (cold start: keeps every worker busy)
 */
function work(job) {
  if (ArrayBuffer.isView(job)) return job;
  if (job !== null && typeof job === 'object' && 'type' in job && job.type === 'Buffer') return job; // JSON-serialised Buffer
  if (job.sleep !== undefined) return new Promise((resolve) => setTimeout(() => resolve(process.pid), job.sleep));
  return { product: job.a * job.b };
}

module.exports = { work };
