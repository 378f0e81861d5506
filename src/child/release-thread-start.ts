import { fstatSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { RELEASE_FD } from '../channel/messages.js';
import type { ClaimTable } from './claims.js';
import type { WriteLock } from './write-lock.js';

const THREAD = new URL('./release-thread.js', import.meta.url);

/**
 * Starts the release thread (release-thread.ts) if this process has the parent's release channel
 * (a pool worker; not a child started some other way). Without it, RELEASE is answered by the main
 * thread alone, between jobs, as before; nothing else depends on the thread.
 */
export function startReleaseThread(claims: ClaimTable, lock: WriteLock): Worker | undefined {
  try {
    if (!fstatSync(RELEASE_FD).isSocket()) return undefined;
    const thread = new Worker(THREAD, { workerData: { memory: claims.memory, lock }, stdout: false, stderr: false });
    // It never keeps the worker alive, and a thread that fails leaves the main thread's path.
    thread.unref();
    thread.on('error', () => undefined);
    return thread;
  } catch {
    return undefined;
  }
}
