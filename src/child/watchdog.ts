/**
 * Orphan safety: when the parent dies (even by SIGKILL) the channel closes and the child exits
 * on the 'end' event, but a child spinning in a synchronous loop never sees that event. A tiny
 * thread, which has its own event loop, notices that the parent is gone and kills the process.
 */
import { Worker } from 'node:worker_threads';
import { PARENT_DEATH_ENV } from '../channel/child-env.js';

const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { parentPid, pid, intervalMs } = workerData;
setInterval(() => {
  if (process.ppid !== parentPid) process.kill(pid, 'SIGKILL');
}, intervalMs);
`;

export function startOrphanWatchdog(intervalMs = 250): void {
  const parentPid = process.ppid;
  if (parentPid <= 1) return;
  // The kernel already kills this process with its parent (setpriv --pdeathsig): no thread needed.
  if (process.env[PARENT_DEATH_ENV]) return;
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { parentPid, pid: process.pid, intervalMs }, stdout: false, stderr: false });
  // The watchdog must never keep the child alive by itself, nor crash it.
  worker.unref();
  worker.on('error', () => undefined);
}
