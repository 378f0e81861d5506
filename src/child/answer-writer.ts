import { frameHeader, taggedText, writeFrameHeader } from '../channel/frames.js';
import { MAX_RUN, RUN_CLOSE, RUN_ID_BYTES, RUN_OPEN, RUN_SEPARATOR } from '../channel/json-run.js';
import { HEADER_SIZE, type KindCode } from '../channel/messages.js';
import type { SyncFdSink } from './sync-sink.js';

/** Frames up to this size are gathered in the arena; bigger ones are written as they are. */
const COPY_LIMIT = 4096;
const ARENA_BYTES = 512 * 1024;

// The control words, shared with the reclaim thread.
const LOCK = 0;
/** Bytes in the arena: whole frames, then the open run's texts so far. */
const USED = 1;
/** Where the open run's header goes; -1 when no run is open. */
const RUN_AT = 2;
const RUN_COUNT = 3;
/** The open run's payload bytes were it closed now (its `]` and ids counted). */
const RUN_BYTES = 4;
const RUN_KIND = 5;
/** 1: the reclaim thread wrote everything in the arena (the open run closed); the main thread starts over. */
const TAKEN = 6;
/** Where the arena's unwritten bytes start (0 but in a write the exit path interrupted). */
const START = 7;
const CONTROL_WORDS = 8;

const FREE = 0;
const MAIN = 1;
const THREAD = 2;

/** The answer writer's memory, shared with the reclaim thread (see takeOverAnswers). */
export interface AnswerMemory {
  control: Int32Array;
  arena: Uint8Array;
  ids: Uint32Array;
}

interface OpenRun {
  kind: KindCode;
  at: number;
  count: number;
  bytes: number;
  limit: number;
}

/**
 * A pool worker's writer of everything it sends on its answer fd (4). Frames gather in an arena
 * of shared memory and leave in one blocking write per flush, as small answers are batched. The
 * arena is shared so that answers finished just before a long synchronous job do not wait for
 * it: when the main thread has started no job for a while, the reclaim thread writes what the
 * arena holds (takeOverAnswers), closing the open run itself. A lock word keeps the two writers
 * from interleaving bytes; the main thread takes it for every frame it adds (one
 * compare-and-swap), the reclaim thread only to take over, and never waits for it.
 */
export class AnswerWriter {
  readonly memory: AnswerMemory;
  readonly #control: Int32Array;
  readonly #arena: Buffer;
  readonly #ids: Uint32Array;
  readonly #sink: SyncFdSink;
  #used = 0;
  /** How far the arena has been handed to the fd: a write interrupted by the exit path ends there. */
  #writtenTo = 0;
  #run: OpenRun | undefined;
  #scheduled = false;
  #closed = false;
  /** How deep the main thread is in its own locked sections (the exit path may re-enter one). */
  #depth = 0;

  constructor(sink: SyncFdSink) {
    this.#sink = sink;
    this.#control = new Int32Array(new SharedArrayBuffer(CONTROL_WORDS * 4));
    const arena = new SharedArrayBuffer(ARENA_BYTES);
    this.#arena = Buffer.from(arena);
    this.#ids = new Uint32Array(new SharedArrayBuffer(MAX_RUN * 4));
    this.#control[RUN_AT] = -1;
    this.memory = { control: this.#control, arena: new Uint8Array(arena), ids: this.#ids };
  }

  /** Queues a frame; a big one (over 4 KiB) is written at once, after what is queued. */
  send(kind: KindCode, id: number, payload: Buffer | readonly Uint8Array[]): void {
    if (this.#closed) return;
    const parts: readonly Uint8Array[] = Buffer.isBuffer(payload) ? [payload] : payload;
    let length = 0;
    for (const part of parts) length += part.byteLength;
    this.#enter();
    try {
      this.#closeRun();
      if (length <= COPY_LIMIT) {
        this.#room(HEADER_SIZE + length);
        let at = this.#header(kind, id, length);
        for (const part of parts) {
          this.#arena.set(part, at);
          at += part.byteLength;
        }
        this.#used = at;
      } else {
        // The writes are blocking: the caller's bytes are in the kernel when this returns.
        this.#writeOut();
        this.#sink.write(frameHeader(kind, id, length));
        for (const part of parts) this.#sink.write(part);
      }
    } finally {
      this.#leave();
    }
    this.#schedule();
  }

  /** A payload of one tag byte and a string's UTF-8, written straight into the arena. */
  sendText(kind: KindCode, id: number, tag: number, text: string): void {
    if (this.#closed) return;
    if (text.length > COPY_LIMIT) {
      this.send(kind, id, taggedText(tag, text));
      return;
    }
    this.#enter();
    try {
      this.#closeRun();
      // UTF-8 needs at most 3 bytes per UTF-16 unit.
      this.#room(HEADER_SIZE + 1 + text.length * 3);
      const at = this.#used;
      const written = this.#arena.write(text, at + HEADER_SIZE + 1, 'utf8');
      this.#header(kind, id, 1 + written);
      this.#arena[at + HEADER_SIZE] = tag;
      this.#used = at + HEADER_SIZE + 1 + written;
    } finally {
      this.#leave();
    }
    this.#schedule();
  }

  /**
   * Adds one value's JSON text to a run frame of `kind` (see json-run.ts), as FrameWriter does;
   * false (nothing queued) when the text alone cannot fit in `limit` payload bytes.
   */
  sendInRun(kind: KindCode, id: number, text: string, limit: number): boolean {
    if (this.#closed) return true;
    // UTF-8 needs at most 3 bytes per UTF-16 unit; a separator and an id come with each text.
    const most = text.length * 3 + 1 + RUN_ID_BYTES;
    if (most + 1 > limit) return false;
    this.#enter();
    try {
      let run = this.#run;
      if (run && (run.kind !== kind || run.bytes + most > run.limit || run.count === MAX_RUN)) {
        this.#closeRun();
        run = undefined;
      }
      if (this.#used + (run ? most : HEADER_SIZE + 2 + most) + this.#tail() > this.#arena.length) {
        this.#writeOut();
        run = undefined;
      }
      const arena = this.#arena;
      if (!run) {
        // Its bytes count the closing `]` from the start (and each value's id with the value).
        run = { kind, at: this.#used, count: 0, bytes: 2, limit };
        this.#run = run;
        arena[this.#used + HEADER_SIZE] = RUN_OPEN;
        this.#used += HEADER_SIZE + 1;
      } else {
        arena[this.#used++] = RUN_SEPARATOR;
        run.bytes++;
      }
      const written = arena.write(text, this.#used, 'utf8');
      this.#used += written;
      run.bytes += written + RUN_ID_BYTES;
      this.#ids[run.count++] = id;
    } finally {
      this.#leave();
    }
    this.#schedule();
    return true;
  }

  /** Writes everything queued (also called by the microtask a send schedules). */
  readonly flush = (): void => {
    this.#scheduled = false;
    if (this.#closed) return;
    this.#enter();
    try {
      this.#writeOut();
    } finally {
      this.#leave();
    }
  };

  close(): void {
    this.#closed = true;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(this.flush);
  }

  #enter(): void {
    if (this.#depth++ > 0) return;
    const control = this.#control;
    // The reclaim thread holds the lock only for the writes of a takeover.
    while (Atomics.compareExchange(control, LOCK, FREE, MAIN) !== FREE) Atomics.wait(control, LOCK, THREAD, 1);
    if (control[TAKEN] === 1) {
      // It wrote what the arena held: start over.
      control[TAKEN] = 0;
      this.#used = 0;
      this.#writtenTo = 0;
      this.#run = undefined;
    }
  }

  /** Publishes the arena's state for the reclaim thread and lets go of the lock. */
  #leave(): void {
    if (--this.#depth > 0) return;
    const control = this.#control;
    const run = this.#run;
    control[USED] = this.#used;
    control[START] = this.#writtenTo;
    control[RUN_AT] = run ? run.at : -1;
    if (run) {
      control[RUN_COUNT] = run.count;
      control[RUN_BYTES] = run.bytes;
      control[RUN_KIND] = run.kind;
    }
    Atomics.store(control, LOCK, FREE);
  }

  /** Bytes the open run still needs when closed: `]` and its ids. */
  #tail(): number {
    return this.#run ? 1 + this.#run.count * RUN_ID_BYTES : 0;
  }

  #room(bytes: number): void {
    if (this.#used + bytes + this.#tail() > this.#arena.length) this.#writeOut();
  }

  /** Writes a frame header at the end of the arena; returns where its payload goes. */
  #header(kind: KindCode, id: number, payloadLength: number): number {
    writeFrameHeader(this.#arena, this.#used, kind, id, payloadLength);
    return this.#used + HEADER_SIZE;
  }

  /** Ends the open run: `]`, its ids, and its header (its length is known now). */
  #closeRun(): void {
    const run = this.#run;
    if (!run) return;
    this.#run = undefined;
    const arena = this.#arena;
    let at = this.#used;
    arena[at++] = RUN_CLOSE;
    for (let i = 0; i < run.count; i++, at += RUN_ID_BYTES) arena.writeUInt32LE(this.#ids[i] as number, at);
    this.#used = at;
    writeFrameHeader(arena, run.at, run.kind, run.count, run.bytes);
  }

  /**
   * Writes the arena. process.exit() can run the exit path in the middle of the write (a hook on
   * it, a signal): the frames it adds then go after the interrupted bytes, not over them, and its
   * own write starts where this one ends (the sink finishes the interrupted chunk first).
   */
  #writeOut(): void {
    this.#closeRun();
    const start = this.#writtenTo;
    const end = this.#used;
    if (end > start) {
      this.#writtenTo = end;
      this.#sink.write(this.#arena.subarray(start, end));
    }
    if (this.#writtenTo === this.#used) {
      this.#used = 0;
      this.#writtenTo = 0;
    }
  }
}

/**
 * Reclaim thread: writes to `sink` (the answer fd) what the main thread's arena holds, closing
 * its open run, if the lock is free (the main thread is not writing) and there is anything; the
 * main thread then starts its arena over. Returns whether it wrote.
 */
export function takeOverAnswers(memory: AnswerMemory, sink: SyncFdSink): boolean {
  const { control, ids } = memory;
  if (Atomics.compareExchange(control, LOCK, FREE, THREAD) !== FREE) return false;
  try {
    const used = control[USED] as number;
    const start = control[START] as number;
    if (control[TAKEN] === 1 || used === start) return false;
    const arena = Buffer.from(memory.arena.buffer, memory.arena.byteOffset, memory.arena.byteLength);
    const runAt = control[RUN_AT] as number;
    let bytes: Buffer;
    if (runAt < 0) bytes = arena.subarray(start, used);
    else {
      const count = control[RUN_COUNT] as number;
      const head = frameHeader(control[RUN_KIND] as KindCode, count, control[RUN_BYTES] as number);
      const tail = Buffer.allocUnsafe(1 + count * RUN_ID_BYTES);
      tail[0] = RUN_CLOSE;
      for (let i = 0; i < count; i++) tail.writeUInt32LE(ids[i] as number, 1 + i * RUN_ID_BYTES);
      bytes = Buffer.concat([arena.subarray(start, runAt), head, arena.subarray(runAt + HEADER_SIZE, used), tail]);
    }
    // False when the parent is gone (EPIPE): nobody to tell; the main thread finds out on its own write.
    if (!sink.write(bytes)) return false;
    control[TAKEN] = 1;
    return true;
  } finally {
    Atomics.store(control, LOCK, FREE);
    Atomics.notify(control, LOCK);
  }
}

