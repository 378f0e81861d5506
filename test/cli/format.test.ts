import { describe, expect, it } from 'vitest';
import { renderProgress } from '../../dist/cli/progress.js';
import { errorCode, errorLine, valueLine } from '../../dist/cli/result-line.js';
import { summaryLine } from '../../dist/cli/summary.js';
import { SUMMARY } from './run-cli.js';

describe('CLI line formats', () => {
  it('the summary line is "N done, M failed in S s (R jobs/s)"', () => {
    expect(summaryLine(3, 1, 2000)).toBe('3 done, 1 failed in 2.00 s (2.0 jobs/s)\n');
    expect(summaryLine(12_000, 0, 1500)).toBe('12000 done, 0 failed in 1.50 s (8000 jobs/s)\n');
    expect(summaryLine(0, 0, 0)).toBe('0 done, 0 failed in 0.00 s (0.0 jobs/s)\n');
    expect(SUMMARY.test(summaryLine(5, 5, 1234))).toBe(true);
  });

  it('error lines use the error\'s own code, else ERR_JOB_FAILED', () => {
    expect(errorCode(Object.assign(new Error('x'), { code: 'E_OWN' }))).toBe('E_OWN');
    expect(errorCode(new Error('x'))).toBe('ERR_JOB_FAILED');
    expect(errorCode('a thrown string')).toBe('ERR_JOB_FAILED');
    expect(errorCode(null)).toBe('ERR_JOB_FAILED');
    expect(JSON.parse(errorLine(4, 'a thrown string').line)).toEqual({ index: 4, error: { code: 'ERR_JOB_FAILED', message: 'a thrown string' } });
  });

  it('value lines always carry "value", and a result JSON cannot hold becomes ERR_BAD_OUTPUT', () => {
    expect(valueLine(0, undefined)).toEqual({ line: '{"index":0,"value":null}\n', ok: true });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bad = valueLine(1, cyclic);
    expect(bad.ok).toBe(false);
    expect(JSON.parse(bad.line).error.code).toBe('ERR_BAD_OUTPUT');
  });

  it('progress shows done/total, rate, ETA and failures; without a total, no bar or ETA', () => {
    const params = { value: 50, total: 200, startTime: 0, eta: 6 };
    expect(renderProgress(params, 2, true, 10_000)).toBe('[######------------------] 50/200 | 5.0 jobs/s | ETA 6s | 2 failed');
    expect(renderProgress(params, 0, false, 10_000)).toBe('50 jobs | 5.0 jobs/s | 0 failed');
  });
});
