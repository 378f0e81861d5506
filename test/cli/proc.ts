import { childrenOf } from '../proc-utils.js';

export { childrenOf };
import { readFileSync } from 'node:fs';


/** Peak resident set size (VmHWM) of a live process in MiB, or undefined once it has exited. */
export function peakRssMiB(pid: number): number | undefined {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}
