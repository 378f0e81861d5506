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

  it('runs the object-wrapped 1 MiB burst and the one-at-a-time round trip, results checked in the scenario', async () => {
    const specs = [
      { scenario: 'object', system: 'forkpool', workers: 1, burst: 3, bursts: 1, warmupBursts: 1 },
      { scenario: 'object', system: 'raw-pipe', workers: 1, burst: 3, bursts: 1, warmupBursts: 1 },
      { scenario: 'burst', system: 'raw-pipe', workers: 1, burst: 3, bursts: 1, warmupBursts: 1 },
      { scenario: 'latency', system: 'raw-ipc-hot', workers: 2, jobs: 50, warmup: 10 },
    ];
    for (const spec of specs) {
      const { stdout } = await run(process.execPath, [scenario, JSON.stringify(spec)], { timeout: 25_000 });
      const result = JSON.parse(stdout.trim().split('\n').pop() as string) as Record<string, unknown>;
      expect(result.error).toBeUndefined();
      expect(result.leftover).toBe(0);
      if (spec.scenario === 'latency') expect(result.p90Us).toBeGreaterThan(0);
      else expect(result.cpuMsPerMiB).toBeGreaterThan(0);
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
    expect(markdown).toContain('tiny-job throughput ÷ best process peer (goal ≥ 2.5×): **3.00×** — met');
    expect(markdown).toContain('tiny-job throughput ÷ raw pipe (goal ≥ 0.7×): **0.75×** — met');
    expect(markdown).toContain('round trip p90 ÷ raw IPC one hot child p90 (goal ≤ 1.25×): **—** — not measured');
  });

  it('prints forkpool ÷ the baseline build when a baseline row is there', async () => {
    const { summarize, renderMarkdown } = await import('../../bench/report.js');
    const runs = [
      { scenario: 'tiny', system: 'forkpool', jobsPerSec: 90 },
      { scenario: 'tiny', system: 'forkpool-base', jobsPerSec: 100 },
    ];
    const markdown = renderMarkdown({ reps: 1, summary: summarize(runs), extras: {} });
    expect(markdown).toContain('forkpool ÷ forkpool (baseline build) (issues 12/13/17: within 5%, ≥ 0.95×): **0.90×** — NOT met');
  });
});
