// CI-sized chaos: thousands of jobs while random workers are SIGKILLed (the long one: npm run soak).
import { describe, expect, it } from 'vitest';
import { Pool } from '../../dist/index.js';
// Plain JS shared with the soak script; its types are inferred (test/tsconfig.json has allowJs).
import { chaos } from './chaos.js';

const JOBS = 2000;
/**
 * A job is a 1 ms synchronous busy loop (answers leave in batches): kills land mid-job and
 * mid-batch. Any child is killed every 100 ms, starting ones included.
 */
const RUN = { Pool, jobs: JOBS, workers: 4, killEveryMs: 100, jobMs: 1 };
/** Bounded even on a loaded 2-core machine; a hang fails here instead of blocking CI. */
const WATCHDOG_MS = 180_000;

describe('chaos', () => {
  it('with retries, every job is fulfilled exactly once while workers are killed', async () => {
    const figures = await chaos({ ...RUN, maxRetries: 20 });
    console.log('chaos with retries', figures);
    expect(figures.kills).toBeGreaterThan(0);
    expect(figures).toMatchObject({ fulfilled: JOBS, crashed: 0, wrong: 0, unexpected: [], lost: 0, duplicates: 0, childrenLeft: 0 });
    // Every kill is reported as such, and none counts as a failed start.
    expect(figures.killed).toBeGreaterThan(0);
  }, WATCHDOG_MS);

  it('without retries, every job settles exactly once: its value or ERR_WORKER_CRASHED', async () => {
    const figures = await chaos({ ...RUN, maxRetries: 0 });
    console.log('chaos without retries', figures);
    expect(figures.kills).toBeGreaterThan(0);
    expect(figures.crashed).toBeGreaterThan(0);
    expect(figures.fulfilled + figures.crashed).toBe(JOBS);
    expect(figures).toMatchObject({ wrong: 0, unexpected: [], lost: 0, duplicates: 0, childrenLeft: 0 });
  }, WATCHDOG_MS);

  it('a storm of kills (every 100 ms) over long jobs among tiny ones sent ahead: no job runs more than 2 + maxRetries times', async () => {
    // A job running when its worker dies hard among other unanswered jobs goes back uncharged
    // once (any of them may have been the fault); from then on it runs alone, and each death is
    // charged to it. A retry used to go back among the others, for another uncharged run.
    const maxRetries = 2;
    const figures = await chaos({ Pool, jobs: 2000, workers: 2, killEveryMs: 100, maxRetries, jobMs: 0, longEvery: 100, longMs: 200 });
    console.log('chaos storm over long jobs', figures);
    expect(figures.kills).toBeGreaterThan(0);
    expect(figures.fulfilled + figures.crashed).toBe(2000);
    expect(figures.maxRuns).toBeLessThanOrEqual(2 + maxRetries);
    expect(figures).toMatchObject({ wrong: 0, unexpected: [], lost: 0, duplicates: 0, childrenLeft: 0 });
  }, WATCHDOG_MS);
});
