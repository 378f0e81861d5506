/**
 * A log-linear (HDR-style) histogram of durations in ms, in constant memory.
 *
 * Values are counted in whole microseconds: below 128 µs each microsecond has its own bucket; above,
 * each power of two is split into 64 equal buckets, so a bucket is at most 1/64 of its lower bound
 * wide and a percentile (the bucket's midpoint) is within 1% + 1 µs of the exact one. min, max and
 * mean are kept exactly beside the buckets. `record` does no allocation: one index computation and
 * one array increment, cheap enough to run for every job.
 */

export interface HistogramSummary {
  /** Values recorded since the start or the last `reset()`. */
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Buckets per power of two above the exact range (1/64 of the lower bound: ~1.6% wide, ±0.8% at the midpoint). */
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;
/** Below this many µs every value has a bucket of its own. */
const EXACT = SUB * 2;
/** The largest power of two counted (2^42 µs ≈ 51 days); longer values share the last bucket, max stays exact. */
const TOP_EXPONENT = 42;
const BUCKETS = EXACT + (TOP_EXPONENT - SUB_BITS) * SUB;
const TWO_32 = 2 ** 32;

function indexOf(micros: number): number {
  if (micros < EXACT) return micros;
  let exponent: number;
  let mantissa: number;
  // micros / 2^shift is in [SUB, 2 * SUB): the position within the power of two. Integer shifts
  // below 2^31 µs (36 minutes), the common case; a division above.
  if (micros < 0x80000000) {
    exponent = 31 - Math.clz32(micros);
    mantissa = micros >>> (exponent - SUB_BITS);
  } else {
    exponent = micros < TWO_32 ? 31 : 63 - Math.clz32(Math.floor(micros / TWO_32));
    if (exponent > TOP_EXPONENT) return BUCKETS - 1;
    mantissa = Math.floor(micros / 2 ** (exponent - SUB_BITS));
  }
  return EXACT + (exponent - SUB_BITS - 1) * SUB + (mantissa - SUB);
}

/** The value (µs) a bucket stands for: its own value in the exact range, else its midpoint. */
function bucketValue(index: number): number {
  if (index < EXACT) return index;
  const offset = index - EXACT;
  const shift = Math.floor(offset / SUB) + 1;
  const lower = (SUB + (offset % SUB)) * 2 ** shift;
  return lower + 2 ** (shift - 1);
}

export class Histogram {
  // Float64 counts stay exact up to 2^53 values, where a Uint32 would wrap after 4 billion jobs.
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  /** Counts one duration in ms; a negative one (a clock step) counts as 0, NaN is ignored. */
  record(ms: number): void {
    if (!(ms >= 0)) {
      if (Number.isNaN(ms)) return;
      ms = 0;
    }
    this.#add(Math.round(ms * 1000), ms);
  }

  /** Counts one duration in whole microseconds (an integer >= 0, as a child measures it), without the rounding `record` does. */
  recordMicros(micros: number): void {
    this.#add(micros, micros / 1000);
  }

  #add(micros: number, ms: number): void {
    const index = indexOf(micros);
    this.#counts[index] = (this.#counts[index] ?? 0) + 1;
    this.#count += 1;
    this.#sum += ms;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
  }

  /** The figures so far, all 0 when nothing was recorded. */
  summary(): HistogramSummary {
    const count = this.#count;
    if (count === 0) return { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
    const percentiles = this.#percentiles(0.5, 0.9, 0.99);
    return { count, min: this.#min, max: this.#max, mean: this.#sum / count, p50: percentiles[0] ?? 0, p90: percentiles[1] ?? 0, p99: percentiles[2] ?? 0 };
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = Number.NEGATIVE_INFINITY;
  }

  /** Nearest-rank percentiles (the value at rank ceil(q * count)), ascending q, in one pass. */
  #percentiles(...quantiles: number[]): number[] {
    const out: number[] = [];
    let seen = 0;
    let next = 0;
    for (let index = 0; index < BUCKETS && next < quantiles.length; index++) {
      seen += this.#counts[index] ?? 0;
      while (next < quantiles.length && seen >= Math.max(1, Math.ceil((quantiles[next] ?? 1) * this.#count))) {
        // A bucket's midpoint can lie outside what was recorded; the exact extremes bound it.
        out.push(Math.min(this.#max, Math.max(this.#min, bucketValue(index) / 1000)));
        next++;
      }
    }
    return out;
  }
}
