/**
 * A pool worker's reclaim thread. A worker busy in a long synchronous job cannot read a RELEASE,
 * so the jobs sent ahead of that job would wait it out while another worker idles. The parent
 * then writes RECLAIM to this thread's channel (fd 5); the thread closes the start gate (see
 * start-gate.ts), so the main thread starts nothing more, and answers RECLAIMED with the seq of
 * the last job started: the parent runs every later one elsewhere, then sends RESUME in the jobs
 * channel, where the main thread reads it after the jobs it must drop.
 *
 * It also sends the answers the main thread finished just before a long job: they wait in its
 * answer arena (see answer-writer.ts) for the next flush, which a long synchronous job delays.
 * Every TICK_MS the thread looks at the start gate; if the main thread has started no job since
 * the last look, it writes what the arena holds.
 */
import { Socket } from 'node:net';
import { workerData } from 'node:worker_threads';
import { frameHeader, FrameReader } from '../channel/frames.js';
import { reclaimKindLimit } from '../channel/limits.js';
import { ANSWER_FD, Kind, RECLAIM_FD } from '../channel/messages.js';
import { takeOverAnswers, type AnswerMemory } from './answer-writer.js';
import { SyncFdSink } from './sync-sink.js';
import { closeGate } from './start-gate.js';

const { gate, answers } = workerData as { gate: Int32Array; answers: AnswerMemory };
const TICK_MS = 10;
// Blocking writes, as the main thread's: the two take turns under the arena's lock.
const answerSink = new SyncFdSink(ANSWER_FD, () => undefined);

let lastSeen = Atomics.load(gate, 0);
setInterval(() => {
  const now = Atomics.load(gate, 0);
  // No job started for a tick: the main thread is in a long one (or idle, its arena empty).
  if (now === lastSeen) takeOverAnswers(answers, answerSink);
  lastSeen = now;
}, TICK_MS);
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
