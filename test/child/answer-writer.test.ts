// The answer writer gathers a worker's frames in shared memory; the reclaim thread may write what
// is gathered at any moment the lock is free (a takeover). Whatever the interleaving, the bytes on
// the fd must be a valid frame stream holding every frame exactly once, in order. Written to a
// file here (any fd will do), and read back with the parent's FrameReader and run decoder.
import fs, { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import { decodeRun, runIdAt } from '../../src/channel/json-run.js';
import { FrameReader } from '../../src/channel/frames.js';
import { Kind } from '../../src/channel/messages.js';
import { AnswerWriter, takeOverAnswers } from '../../src/child/answer-writer.js';
import { SyncFdSink } from '../../src/child/sync-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'forkpool-answers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Every value the frames carry, in order, as [kind, id, value]. */
function framesIn(path: string): Array<[number, number, unknown]> {
  const out: Array<[number, number, unknown]> = [];
  const reader = new FrameReader((kind, id, payload) => {
    if (kind === Kind.RESULTS) {
      const values = decodeRun(payload, id);
      for (let i = 0; i < id; i++) out.push([Kind.RESULT, runIdAt(payload, id, i), values[i]]);
    } else out.push([kind, id, kind === Kind.BUSY ? payload.length : payload.toString('utf8', 1)]);
  });
  reader.push(readFileSync(path));
  expect(reader.buffered, 'bytes left over: a frame cut or interleaved').toBe(0);
  return out;
}

function writerTo(path: string): { writer: AnswerWriter; fd: number } {
  const fd = openSync(path, 'w');
  return { writer: new AnswerWriter(new SyncFdSink(fd, () => undefined)), fd };
}

describe('AnswerWriter', () => {
  it('writes runs, small and big frames in the order they were queued', () => {
    const path = join(dir, `answers-${files++}`);
    const { writer, fd } = writerTo(path);
    writer.sendInRun(Kind.RESULTS, 1, '"a"', 256 * 1024);
    writer.sendInRun(Kind.RESULTS, 2, '{"b":[1,2]}', 256 * 1024);
    writer.sendText(Kind.RESULT, 3, 0x4a, '"c"');
    writer.send(Kind.BUSY, 2, Buffer.alloc(24));
    writer.sendInRun(Kind.RESULTS, 4, '"d"', 256 * 1024);
    writer.send(Kind.RESULT, 5, [Buffer.from([0x4a]), Buffer.from(`"${'x'.repeat(10_000)}"`)]);
    writer.sendInRun(Kind.RESULTS, 6, '"e"', 256 * 1024);
    writer.flush();
    closeSync(fd);
    expect(framesIn(path)).toEqual([
      [Kind.RESULT, 1, 'a'],
      [Kind.RESULT, 2, { b: [1, 2] }],
      [Kind.RESULT, 3, '"c"'],
      [Kind.BUSY, 2, 24],
      [Kind.RESULT, 4, 'd'],
      [Kind.RESULT, 5, `"${'x'.repeat(10_000)}"`],
      [Kind.RESULT, 6, 'e'],
    ]);
  });

  it('a takeover between frames writes what is gathered, the open run closed, and nothing twice', () => {
    const path = join(dir, `answers-${files++}`);
    const { writer, fd } = writerTo(path);
    writer.sendInRun(Kind.RESULTS, 1, '1', 256 * 1024);
    writer.sendInRun(Kind.RESULTS, 2, '2', 256 * 1024);
    // The reclaim thread's own sink on the same fd.
    const threadSink = new SyncFdSink(fd, () => undefined);
    expect(takeOverAnswers(writer.memory, threadSink)).toBe(true);
    // Taken already: a second takeover has nothing to write.
    expect(takeOverAnswers(writer.memory, threadSink)).toBe(false);
    writer.sendInRun(Kind.RESULTS, 3, '3', 256 * 1024);
    writer.flush();
    writer.flush();
    expect(takeOverAnswers(writer.memory, threadSink)).toBe(false);
    closeSync(fd);
    expect(framesIn(path).map(([, id, value]) => [id, value])).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
  });

  it('frames added from inside a write (the exit path, run by process.exit() in a hook on it) go after it, none over it', () => {
    const path = join(dir, `answers-${files++}`);
    const fd = openSync(path, 'w');
    const writer = new AnswerWriter(new SyncFdSink(fd, () => undefined));
    // The hook sits where the fault matrix's does: on fs.writeSync, before the bytes go.
    const realWriteSync = fs.writeSync;
    let reentered = false;
    fs.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
      if (!reentered && args[0] === fd) {
        reentered = true;
        // As the runtime's goodbye does: the answers so far, then EXITING, flushed.
        writer.sendInRun(Kind.RESULTS, 3, '3', 256 * 1024);
        writer.send(Kind.EXITING, 3, Buffer.from([0]));
        writer.flush();
        // The process ends there: the interrupted write never goes on.
        throw new Error('exited');
      }
      return realWriteSync(...args);
    }) as typeof fs.writeSync;
    syncBuiltinESMExports();
    onTestFinished(() => {
      fs.writeSync = realWriteSync;
      syncBuiltinESMExports();
    });
    writer.sendInRun(Kind.RESULTS, 1, '1', 256 * 1024);
    writer.sendInRun(Kind.RESULTS, 2, '2', 256 * 1024);
    writer.flush();
    closeSync(fd);
    expect(framesIn(path).map(([kind, id]) => [kind, id])).toEqual([
      [Kind.RESULT, 1],
      [Kind.RESULT, 2],
      [Kind.RESULT, 3],
      [Kind.EXITING, 3],
    ]);
  });

  it('racing a real thread that takes over as often as it can: every frame exactly once, in order', async () => {
    const path = join(dir, `answers-${files++}`);
    const { writer, fd } = writerTo(path);
    // [0]: stop; [1]: takeovers so far.
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const thread = new Worker(
      `
      const { parentPort, workerData } = require('node:worker_threads');
      Promise.all([
        import(${JSON.stringify(new URL('../../dist/child/answer-writer.js', import.meta.url).href)}),
        import(${JSON.stringify(new URL('../../dist/child/sync-sink.js', import.meta.url).href)}),
      ]).then(([{ takeOverAnswers }, { SyncFdSink }]) => {
        const sink = new SyncFdSink(workerData.fd, () => undefined);
        parentPort.postMessage('ready');
        while (Atomics.load(workerData.shared, 0) === 0) if (takeOverAnswers(workerData.memory, sink)) Atomics.add(workerData.shared, 1, 1);
        parentPort.postMessage('done');
      });
      `,
      { eval: true, workerData: { memory: writer.memory, fd, shared } },
    );
    await new Promise((resolve) => thread.once('message', resolve));
    const done = new Promise((resolve) => thread.once('message', resolve));
    const expected: number[] = [];
    const pause = new Int32Array(new SharedArrayBuffer(4));
    // Until the thread has taken over 100 times (on a loaded machine it may get few chances), at
    // most 400,000 answers.
    for (let i = 1; i <= 400_000 && (i <= 20_000 || Atomics.load(shared, 1) < 100); i++) {
      // Mostly run answers, with the other shapes among them (each closes the open run).
      if (i % 97 === 0) writer.sendText(Kind.RESULT, i, 0x4a, String(i));
      else if (i % 501 === 0) writer.send(Kind.RESULT, i, [Buffer.from([0x4a]), Buffer.from(`"${'y'.repeat(5000)}${i}"`)]);
      else writer.sendInRun(Kind.RESULTS, i, String(i), 256 * 1024);
      expected.push(i);
      if (i % 128 === 0) writer.flush();
      // A pause now and then, as a long job makes: the lock is free and the arena holds answers.
      if (i % 1000 === 500) Atomics.wait(pause, 0, 0, 0.2);
    }
    writer.flush();
    Atomics.store(shared, 0, 1);
    await done;
    await thread.terminate();
    closeSync(fd);
    const ids = framesIn(path).map(([, id]) => id);
    expect(ids).toEqual(expected);
    // The race was real: the thread wrote some of them.
    expect(Atomics.load(shared, 1)).toBeGreaterThan(0);
  }, 60_000);
});
