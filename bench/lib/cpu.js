/** CPU seconds used by this process and its live children over a window, from process.cpuUsage and /proc. */
import { children } from './proc.js';

/** Starts a window; the returned function ends it: `{ parentCpu, childCpu, after }` (seconds; `after` = children at the end). */
export function cpuWindow() {
  const before = children();
  const cpuBefore = process.cpuUsage();
  return () => {
    const cpu = process.cpuUsage(cpuBefore);
    const after = children();
    // Children that started within the window count from zero; those that left it are not seen (none do here).
    const childCpu = after.reduce((sum, c) => sum + c.cpuSeconds, 0) - before.filter((b) => after.some((a) => a.pid === b.pid)).reduce((s, c) => s + c.cpuSeconds, 0);
    return { parentCpu: (cpu.user + cpu.system) / 1e6, childCpu, after };
  };
}
