import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { renderProgress } from '../../src/cli/progress.js';
import { compactValue } from '../../src/cli/progress-value.js';

describe('compactValue (a progress value on the progress line)', () => {
  it('is the JSON of the value, strings quoted', () => {
    expect(compactValue({ step: 2, of: 3 })).toBe('{"step":2,"of":3}');
    expect(compactValue('50%')).toBe('"50%"');
    expect(compactValue(50)).toBe('50');
    expect(compactValue(null)).toBe('null');
  });

  it('what JSON cannot hold still shows, without throwing', () => {
    expect(compactValue(10n)).toBe('10');
    expect(compactValue(undefined)).toBe('undefined');
    const cycle: Record<string, unknown> = {};
    cycle['self'] = cycle;
    expect(compactValue(cycle)).toBe('[object Object]');
  });

  it('is at most 40 characters, with no character a terminal acts on', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ unit: 'binary' }), (json, text) => {
        for (const value of [json, text, { text }]) {
          const shown = compactValue(value);
          expect(shown.length).toBeLessThanOrEqual(40);
          // biome-ignore lint/suspicious/noControlCharactersInRegex: checking that none is left
          expect(shown).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
          const whole = JSON.stringify(value);
          if (whole !== undefined && whole.length <= 40 && !/[\x7f-\x9f]/.test(whole)) expect(shown).toBe(whole);
        }
      }),
    );
  });
});

describe('renderProgress with a job\'s latest value', () => {
  it('appends it after the failures', () => {
    const params = { value: 3, total: 10, startTime: 0, eta: 7 };
    expect(renderProgress(params, 1, true, 1000, { index: 4, text: '{"step":2}' })).toMatch(/\| 1 failed \| job 4: \{"step":2\}$/);
    expect(renderProgress(params, 1, false, 1000, { index: 4, text: '7' })).toBe('3 jobs | 3.0 jobs/s | 1 failed | job 4: 7');
    expect(renderProgress(params, 1, false, 1000)).toBe('3 jobs | 3.0 jobs/s | 1 failed');
  });
});
