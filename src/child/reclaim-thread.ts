/**
 * A pool worker's reclaim thread. A worker busy in a long synchronous job cannot read a RELEASE,
 * so the jobs sent ahead of that job would wait it out while another worker idles. The parent
 * then writes RECLAIM to this thread's channel (fd 5); the thread closes the start gate (see
 * start-gate.ts), so the main thread starts nothing more, and answers RECLAIMED with the seq of
 * the last job started: the parent runs every later one elsewhere, then sends RESUME in the jobs
 * channel, where the main thread reads it after the jobs it must drop.
 */
import { Socket } from 'node:net';
import { workerData } from 'node:worker_threads';
import { frameHeader, FrameReader } from '../channel/frames.js';
import { reclaimKindLimit } from '../channel/limits.js';
import { Kind, RECLAIM_FD } from '../channel/messages.js';
import { closeGate } from './start-gate.js';

const { gate } = workerData as { gate: Int32Array };
const socket = new Socket({ fd: RECLAIM_FD, readable: true, writable: true });
const reader = new FrameReader(
  () => {
    socket.write(frameHeader(Kind.RECLAIMED, closeGate(gate), 0));
  },
  undefined,
  reclaimKindLimit,
);
socket.on('data', (chunk: Buffer) => {
  try {
    reader.push(chunk);
  } catch {
    // Not a RECLAIM stream: this thread stops, and jobs wait for the main thread as they would without it.
    socket.destroy();
  }
});
// The parent went away or stopped the worker: nothing more to reclaim.
socket.on('error', () => socket.destroy());
socket.on('end', () => socket.destroy());
