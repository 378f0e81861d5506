/** What a histogram says, in ms: count, exact min/max/mean, and percentiles within ~1.6 %. */
export interface HistogramSummary {
  count: number;
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

/** Sub-buckets per power of two: the relative error of a percentile is at most 1 / SUB. */
const SUB_BITS = 6;
const SUB = 1 << SUB_BITS;
/** Values are kept in µs; 2^40 µs is about 12.7 days, past any job's time limit. */
const MAX_EXPONENT = 40;

/**
 * An HDR-style histogram in constant memory: values in µs fall into log-linear buckets (64 per
 * power of two), so recording is a few arithmetic operations and no allocation, and memory does
 * not grow with the number of values.
 */
export class Histogram {
  readonly #counts = new Float64Array(SUB + (MAX_EXPONENT + 1) * SUB);
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = 0;

  /** Records one value in ms (negative or non-finite values are ignored). */
  record(ms: number): void {
    if (!(ms >= 0) || ms === Number.POSITIVE_INFINITY) return;
    this.#count++;
    this.#sum += ms;
    if (ms < this.#min) this.#min = ms;
    if (ms > this.#max) this.#max = ms;
    const index = bucketOf(Math.round(ms * 1000));
    this.#counts[index] = (this.#counts[index] as number) + 1;
  }

  summary(): HistogramSummary {
    if (this.#count === 0) return { count: 0, min: 0, max: 0, mean: 0, p50: 0, p90: 0, p99: 0 };
    return {
      count: this.#count,
      min: this.#min,
      max: this.#max,
      mean: this.#sum / this.#count,
      p50: this.#percentile(0.5),
      p90: this.#percentile(0.9),
      p99: this.#percentile(0.99),
    };
  }

  reset(): void {
    this.#counts.fill(0);
    this.#count = 0;
    this.#sum = 0;
    this.#min = Number.POSITIVE_INFINITY;
    this.#max = 0;
  }

  /** The value (ms) at quantile `q`, clamped to the exact min and max. */
  #percentile(q: number): number {
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    const counts = this.#counts;
    for (let i = 0; i < counts.length; i++) {
      seen += counts[i] as number;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, bucketValue(i) / 1000));
    }
    return this.#max;
  }
}

/** Below SUB µs one bucket per µs; above, SUB buckets per power of two. */
function bucketOf(us: number): number {
  if (us < SUB) return us;
  // The highest set bit, without a logarithm while the value fits in 32 bits (71 minutes).
  const top = us < 0x100000000 ? 31 - Math.clz32(us) : Math.floor(Math.log2(us));
  const exponent = Math.min(top - SUB_BITS, MAX_EXPONENT);
  const mantissa = Math.min(Math.floor(us / 2 ** exponent), 2 * SUB - 1) - SUB;
  return SUB + exponent * SUB + mantissa;
}

/** The middle of bucket `index`, in µs. */
function bucketValue(index: number): number {
  if (index < SUB) return index;
  const exponent = Math.floor((index - SUB) / SUB);
  const mantissa = ((index - SUB) % SUB) + SUB;
  return (mantissa + 0.5) * 2 ** exponent;
}
