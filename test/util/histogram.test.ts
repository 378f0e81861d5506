import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Histogram } from '../../src/util/histogram.js';

/** The nearest-rank percentile of the exact values, as the histogram defines it. */
function exact(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1] ?? Number.NaN;
}

/** The stated bound: 1% of the value plus 1 µs (values are counted in whole microseconds). */
function within(estimate: number, value: number): boolean {
  return Math.abs(estimate - value) <= value / 100 + 0.001;
}

/** Durations as jobs produce them: sub-ms, ms, seconds, hours; fractional. */
const duration = fc.oneof(
  fc.double({ min: 0, max: 1, noNaN: true }),
  fc.double({ min: 0, max: 1000, noNaN: true }),
  fc.double({ min: 0, max: 10_000_000, noNaN: true }),
);

describe('Histogram', () => {
  it('is all zeros when empty, and again after reset()', () => {
    const histogram = new Histogram();
    const zero = { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
    expect(histogram.summary()).toEqual(zero);
    histogram.record(5);
    histogram.reset();
    expect(histogram.summary()).toEqual(zero);
  });

  it('percentiles are within 1% + 1 µs of the exact ones; count, min and max are exact, mean to rounding', () => {
    fc.assert(
      fc.property(fc.array(duration, { minLength: 1, maxLength: 2000 }), (values) => {
        const histogram = new Histogram();
        for (const value of values) histogram.record(value);
        const summary = histogram.summary();
        const sorted = [...values].sort((a, b) => a - b);
        expect(summary.count).toBe(values.length);
        expect(summary.min).toBe(sorted[0]);
        expect(summary.max).toBe(sorted.at(-1));
        const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
        expect(Math.abs(summary.mean - mean)).toBeLessThanOrEqual(Math.abs(mean) * 1e-12);
        for (const [key, q] of [['p50', 0.5], ['p90', 0.9], ['p99', 0.99]] as const) {
          const want = exact(sorted, q);
          if (!within(summary[key], want)) throw new Error(`${key}: ${summary[key]} vs exact ${want}`);
        }
        expect(summary.p50).toBeLessThanOrEqual(summary.p90);
        expect(summary.p90).toBeLessThanOrEqual(summary.p99);
      }),
      { numRuns: 300 },
    );
  });

  it('a single value is every percentile exactly', () => {
    fc.assert(
      fc.property(duration, (value) => {
        const histogram = new Histogram();
        histogram.record(value);
        expect(histogram.summary()).toEqual({ count: 1, min: value, max: value, mean: value, p50: value, p90: value, p99: value });
      }),
    );
  });

  it('a negative duration (a clock step) counts as 0; NaN is not counted', () => {
    const histogram = new Histogram();
    histogram.record(-3);
    histogram.record(Number.NaN);
    histogram.record(2);
    expect(histogram.summary()).toMatchObject({ count: 2, min: 0, max: 2, mean: 1 });
  });

  it('values beyond the top bucket (51 days) keep an exact max and bounded percentiles', () => {
    const histogram = new Histogram();
    const huge = 1e13;
    histogram.record(1);
    histogram.record(huge);
    const summary = histogram.summary();
    expect(summary.max).toBe(huge);
    expect(summary.p99).toBeLessThanOrEqual(huge);
    expect(within(summary.p50, 1)).toBe(true);
  });

  it('uses constant memory: five million values allocate next to nothing', () => {
    const histogram = new Histogram();
    for (let i = 0; i < 1000; i++) histogram.record(i);
    globalThis.gc?.();
    const before = process.memoryUsage().heapUsed;
    for (let i = 0; i < 5_000_000; i++) histogram.record((i % 50_000) / 7);
    const grown = process.memoryUsage().heapUsed - before;
    // Keeping the values would take 40 MB; the buckets are a fixed 19 KB allocated up front. The
    // bound leaves room for what the test runner itself allocates meanwhile.
    expect(grown).toBeLessThan(8_000_000);
    expect(histogram.summary().count).toBe(5_001_000);
  });
});
