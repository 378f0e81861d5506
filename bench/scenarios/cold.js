/**
 * Cold start: construct a pool of 8 and submit 8 jobs that each hold a worker for 20 ms;
 * time to the first result and to the eighth (all 8 workers started and busy).
 */
export const title = 'cold start, 8 workers';
const SLEEP_MS = 20;

export async function measure(system, { workers = 8 }) {
  await system.preload?.();
  const start = performance.now();
  const pool = await system.create({ workers });
  try {
    let first;
    const pids = await Promise.all(
      Array.from({ length: workers }, () =>
        pool.run({ sleep: SLEEP_MS }).then((pid) => {
          first ??= performance.now() - start;
          return pid;
        }),
      ),
    );
    const all = performance.now() - start;
    return { firstResultMs: first, allResultsMs: all, distinctWorkers: new Set(pids).size };
  } finally {
    await pool.close();
  }
}
