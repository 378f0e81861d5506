/** The one line printed on stderr at the end of every run: `N done, M failed in S s (R jobs/s)`. */
export function summaryLine(done: number, failed: number, elapsedMs: number): string {
  const seconds = elapsedMs / 1000;
  const rate = seconds > 0 ? (done + failed) / seconds : 0;
  return `${done} done, ${failed} failed in ${seconds.toFixed(2)} s (${formatRate(rate)} jobs/s)\n`;
}

/** Whole numbers once the rate is large enough for decimals to be noise. */
export function formatRate(rate: number): string {
  return rate >= 100 ? String(Math.round(rate)) : rate.toFixed(1);
}
