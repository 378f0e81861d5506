/** The CLI's exit codes (documented in `forkpool run --help` and the README). */
export const EXIT = {
  /** Every job was fulfilled. */
  OK: 0,
  /** Some job failed (an error line was written), or the input or output failed mid-run. */
  FAILED: 1,
  /** A usage error: bad option, missing file, missing or unloadable worker module. */
  USAGE: 2,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM before the input was used up: 128 + SIGINT, as shells expect. */
  INTERRUPTED: 130,
} as const;
