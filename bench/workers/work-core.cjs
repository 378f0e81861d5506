'use strict';
/**
 * The one job function every system runs, so that only the pool differs:
 * - `{ a, b }`          -> `{ product: a * b }`          (tiny jobs, latency, scaling)
 * - a Buffer/Uint8Array -> the same bytes back           (1 MiB each way)
 * - `{ id, data: bytes }` -> the same object back        (1 MiB inside an object)
 * - `{ sleep: ms }`     -> the worker's pid after ms     (cold start: keeps every worker busy)
 */
function work(job) {
  if (ArrayBuffer.isView(job)) return job;
  if (job !== null && typeof job === 'object' && 'type' in job && job.type === 'Buffer') return job; // JSON-serialised Buffer
  if (job.data !== undefined) return job; // { id, data }: echoed as it came (bytes or a JSON-serialised Buffer)
  if (job.sleep !== undefined) return new Promise((resolve) => setTimeout(() => resolve(process.pid), job.sleep));
  return { product: job.a * job.b };
}

module.exports = { work };
