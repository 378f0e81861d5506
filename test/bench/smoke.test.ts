import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const scenario = fileURLToPath(new URL('../../bench/scenario.js', import.meta.url));

// Keeps the benchmark suite from rotting: one small scenario end to end, no timing assertion.
describe('bench smoke', () => {
  it('runs the tiny-job scenario for forkpool and the raw pipe, leaving no child behind', async () => {
    for (const system of ['forkpool', 'raw-pipe']) {
      const spec = { scenario: 'tiny', system, workers: 1, jobs: 200, warmup: 20, window: 16 };
      const { stdout } = await run(process.execPath, [scenario, JSON.stringify(spec)], { timeout: 25_000 });
      const result = JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
      expect(result.error).toBeUndefined();
      expect(result.jobsPerSec).toBeGreaterThan(0);
      expect(result.leftover).toBe(0);
    }
  });

  it('renders a table with the ratios from a summary', async () => {
    const { summarize, renderMarkdown } = await import('../../bench/report.js');
    const runs = [
      { scenario: 'tiny', system: 'forkpool', jobsPerSec: 300 },
      { scenario: 'tiny', system: 'worker-farm', jobsPerSec: 100 },
      { scenario: 'tiny', system: 'raw-pipe', jobsPerSec: 400 },
    ];
    const markdown = renderMarkdown({ reps: 1, summary: summarize(runs), extras: {} });
    expect(markdown).toContain('| forkpool | 300 ±0% | 3.00× | 0.75× |');
  });
});
