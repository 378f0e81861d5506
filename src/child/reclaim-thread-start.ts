import { fstatSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { RECLAIM_FD } from '../channel/messages.js';
import type { AnswerMemory } from './answer-writer.js';

const THREAD = new URL('./reclaim-thread.js', import.meta.url);

/**
 * Starts the reclaim thread (reclaim-thread.ts) when this process has the parent's reclaim
 * channel (a pool worker, not a child started some other way). Without the thread nothing breaks:
 * jobs sent ahead of a long one wait for it, as RECLAIM is then never answered.
 */
export function startReclaimThread(gate: Int32Array, answers: AnswerMemory): Worker | undefined {
  try {
    if (!fstatSync(RECLAIM_FD).isSocket()) return undefined;
    // No execArgv: the user's preloads and flags are for the work, not this thread.
    const thread = new Worker(THREAD, { workerData: { gate, answers }, execArgv: [], env: {}, stdout: true, stderr: true, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
    // It never keeps the worker alive, and a thread that fails leaves jobs to the main thread.
    thread.unref();
    thread.on('error', () => undefined);
    return thread;
  } catch {
    return undefined;
  }
}
