import { describe, expect, it } from 'vitest';
import { Pool } from '../../dist/index.js';
import { fixture, track } from '../helpers.js';

const NAMES = ['MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'FORKPOOL_ADDED_ENV'];
const linux = process.platform === 'linux';

describe.runIf(linux)("workers' allocator settings", () => {
  it('workers start with glibc thresholds raised, and their code does not see them', async () => {
    const pool = track(new Pool({ worker: fixture('env-report.mjs'), workers: 1 }));
    const report = (await pool.run(NAMES)) as { name: string; atStart?: string; inProcessEnv?: string }[];
    expect(report.find((r) => r.name === 'MALLOC_MMAP_THRESHOLD_')?.atStart).toBe(String(32 * 1024 * 1024));
    expect(report.find((r) => r.name === 'MALLOC_TRIM_THRESHOLD_')?.atStart).toBe(String(32 * 1024 * 1024));
    for (const entry of report) expect(entry.inProcessEnv).toBeUndefined();
    await pool.close();
  });

  it("a user's own malloc setting is kept whole: nothing is added next to it", async () => {
    const env = { ...process.env, MALLOC_TRIM_THRESHOLD_: '4096' };
    const pool = track(new Pool({ worker: fixture('env-report.mjs'), workers: 1, env }));
    const report = (await pool.run(NAMES)) as { name: string; atStart?: string; inProcessEnv?: string }[];
    expect(report).toEqual([
      { name: 'MALLOC_MMAP_THRESHOLD_', atStart: undefined, inProcessEnv: undefined },
      { name: 'MALLOC_TRIM_THRESHOLD_', atStart: '4096', inProcessEnv: '4096' },
      { name: 'FORKPOOL_ADDED_ENV', atStart: undefined, inProcessEnv: undefined },
    ]);
    await pool.close();
  });
});
