/** Small statistics helpers shared by the runner and the scenarios. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Spread as ± half the min–max range, relative to the median (in %). */
export function spread(values) {
  const m = median(values);
  if (!m || values.length < 2) return 0;
  return ((Math.max(...values) - Math.min(...values)) / 2 / m) * 100;
}
