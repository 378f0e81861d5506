// A CPU-heavy job: count the primes in [from, to) by trial division, and return the largest.
// Each job takes a few milliseconds of pure computation, so the work spreads over all workers.
export default function work({ from, to }) {
  if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from) {
    const error = new Error(`expected {"from": a, "to": b} with integers 0 <= a <= b, got ${JSON.stringify({ from, to })}`);
    error.code = 'E_RANGE';
    throw error;
  }
  let count = 0;
  let largest = null;
  for (let n = Math.max(from, 2); n < to; n++) {
    if (isPrime(n)) {
      count++;
      largest = n;
    }
  }
  return { from, to, count, largest };
}

function isPrime(n) {
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}
