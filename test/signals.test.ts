import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixture } from './helpers.js';

describe('signal listeners shared by many pools and prefork managers', () => {
  it('20 pools with handleSignals and 20 managers add one SIGTERM listener, warn nothing, and all stop on one SIGTERM', () => {
    const run = spawnSync(process.execPath, [fixture('many-signal-pools.mjs')], { encoding: 'utf8', timeout: 30_000 });
    expect(run.status).toBe(0);
    expect(run.stderr).not.toContain('MaxListenersExceededWarning');
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as { during: number; after: number; signals: string[]; pids: number[] };
    expect(report.during).toBe(1);
    expect(report.after).toBe(0);
    expect(report.signals).toEqual(['SIGTERM']);
    expect(report.pids).toEqual([]);
  });
});
