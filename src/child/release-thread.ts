/**
 * A pool worker's release thread. A child busy in a synchronous job cannot read the RELEASE that
 * asks it to hand back jobs sent ahead of that job, so those jobs would wait out the long one
 * while another worker idles. This thread reads the RELEASEs the parent also writes to fd 5,
 * takes a job back if it is still queued (a compare-and-swap on its shared cell, see claims.ts:
 * the main thread cannot start it afterwards) and answers RELEASED on the answer fd, under the
 * lock the main thread writes it with.
 */
import { writeSync } from 'node:fs';
import { Socket } from 'node:net';
import { workerData } from 'node:worker_threads';
import { encodeValue } from '../channel/codec.js';
import { frameHeader, FrameReader } from '../channel/frames.js';
import { SMALL_FRAME } from '../channel/limits.js';
import { ANSWER_FD, Kind, RELEASE_FD } from '../channel/messages.js';
import { releaseFromThread, type ClaimMemory } from './claims.js';
import { withWriteLock, type WriteLock } from './write-lock.js';

const { memory, lock } = workerData as { memory: ClaimMemory; lock: WriteLock };
const UNDEFINED = encodeValue(undefined);

function answerReleased(id: number): void {
  const frame = Buffer.concat([frameHeader(Kind.RELEASED, id, UNDEFINED.length), UNDEFINED]);
  withWriteLock(lock, () => {
    let at = 0;
    while (at < frame.length) at += writeSync(ANSWER_FD, frame, at);
  });
}

const reader = new FrameReader(
  (kind, id) => {
    if (kind === Kind.RELEASE && releaseFromThread(memory, id)) answerReleased(id);
  },
  SMALL_FRAME,
  (kind) => (kind === Kind.RELEASE ? SMALL_FRAME : false),
);
const socket = new Socket({ fd: RELEASE_FD, readable: true, writable: false });
socket.on('data', (chunk: Buffer) => {
  try {
    reader.push(chunk);
  } catch {
    // Not a RELEASE stream (or the answer fd is gone): the main thread's own RELEASE path remains.
    socket.destroy();
  }
});
// The parent went away or stopped the worker: nothing more to hand back.
socket.on('error', () => socket.destroy());
