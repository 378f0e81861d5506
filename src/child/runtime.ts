import { Socket } from 'node:net';
import { decodeValue, encodeValue, encodeValueParts, jsonBytes, jsonText, TAG_JSON } from '../channel/codec.js';
import { fromErrorRecord, toErrorRecord, type ErrorRecord } from '../channel/error-wire.js';
import { FrameReader } from '../channel/frames.js';
import { AnswerWriter } from './answer-writer.js';
import { CallClient } from '../channel/call-client.js';
import { decodeRun, MAX_RUN_BYTES, runIdAt } from '../channel/json-run.js';
import { parentKindLimit } from '../channel/limits.js';
import { ANSWER_FD, CHANNEL_FD, Kind, type KindCode } from '../channel/messages.js';
import { MessageTooLargeError, TaskUnknownError, UnserializableError } from '../errors.js';
import { startOrphanWatchdog } from './watchdog.js';
import { removeAddedEnv } from '../channel/child-env.js';
import { JobContext } from './job-context.js';
import { SyncFdSink } from './sync-sink.js';
import { StartGate } from './start-gate.js';
import { startReclaimThread } from './reclaim-thread-start.js';
import { nextSeq } from '../channel/job-seq.js';
import { blockingStdio } from './blocking-stdio.js';
import type { InitMessage, WorkerHandlers } from './types.js';

interface QueuedJob {
  id: number;
  /** Its place among the jobs this worker was sent (see channel/job-seq.ts). */
  seq: number;
  /** Its codec bytes; undefined for a job that came in a JOBS frame, already decoded (`value`). */
  payload: Buffer | undefined;
  value: unknown;
  /** A named task (`run(job, { name })`); the default export when absent. */
  name: string | undefined;
  /** performance.now() when it arrived: its wait in this worker is part of its waitTime. */
  receivedAt: number;
}

/** Bytes of one job's timing in a BUSY frame: u32 id, u32 µs waited here, u32 µs run. */
const TIMING_BYTES = 12;
const MAX_U32 = 0xffffffff;

/** Flushing after this many synchronous results keeps the parent fed during long bursts. */
const FLUSH_EVERY = 128;
/** A synchronous job at least this long (ms) has its result sent before the next job starts. */
const SLOW_JOB_MS = 0.1;
/** Synchronous jobs run back to back for at most this long (ms) before the event loop gets a turn. */
const YIELD_AFTER_MS = 2;

/**
 * The loop inside every worker process: load, init, then run jobs one at a time in the order
 * they arrive, answering each exactly once. The parent may send several jobs ahead; they wait
 * in `queue` and can be taken back (RELEASE) until they start.
 */
export class WorkerRuntime {
  readonly #writer: AnswerWriter;
  readonly #handlers: Promise<WorkerHandlers>;
  readonly #queue: QueuedJob[] = [];
  /** The seq of the last job received. */
  #received = 0;
  /** Decides, with the reclaim thread, whether each job runs here or is handed back (start-gate.ts). */
  readonly #gate = new StartGate();
  #reclaimThread = false;
  /** The running job's context (its id, and how to abort its ctx.signal). */
  #running: JobContext | undefined;
  readonly #callParent = (name: string, payload: unknown, jobId: number): Promise<unknown> => this.callback(name, payload, jobId);
  #draining = false;
  /** The worker's work function, once loaded and initialised. */
  #work: WorkerHandlers['work'] | undefined;
  #ready = false;
  /** INIT arrived and its load/init has not settled: a SHUTDOWN waits for it (its failure is reported). */
  #initPending = false;
  #shuttingDown = false;
  #workerId = 0;
  #maxMessageSize = Infinity;
  /** The most payload bytes of a RESULTS frame: the parent refuses longer ones. */
  #runLimit = MAX_RUN_BYTES;
  #reportRss = false;
  readonly #calls = new CallClient((id, bytes) => {
    this.#writer.send(Kind.CALLBACK, id, bytes);
    this.#writer.flush();
  });

  /** Timing of the answers finished since the BUSY frame last went out (see Kind.BUSY). */
  #timings = Buffer.allocUnsafe(128 * TIMING_BYTES);
  #busyCount = 0;
  #tasks: ReadonlyMap<string, WorkerHandlers['work']> | undefined;
  #teardown: WorkerHandlers['teardown'];
  #tearingDown = false;
  readonly #report = (jobId: number, value: unknown): void => {
    this.#send(Kind.PROGRESS, jobId, value);
    this.#writer.flush();
  };
  #saidGoodbye = false;
  /** performance.now() when the read being handled came in. */
  #readAt = 0;

  constructor(handlers: Promise<WorkerHandlers>, socket = new Socket({ fd: CHANNEL_FD, readable: true, writable: false })) {
    // Before any user code runs (the module is still loading; a script-mode compat worker is here).
    removeAddedEnv();
    blockingStdio();
    // The parent closed its end of the answer channel: it is gone or stopping this worker.
    this.#writer = new AnswerWriter(new SyncFdSink(ANSWER_FD, () => setImmediate(() => process.exit(0))));
    this.#handlers = handlers;
    // A load failure is reported when INIT arrives; keep Node from calling it unhandled meanwhile.
    handlers.catch(() => undefined);
    const reader = new FrameReader((kind, id, payload) => this.#onFrame(kind, id, payload), undefined, parentKindLimit);
    socket.on('data', (chunk: Buffer) => {
      // Every job in this read arrived now (one clock read for them all).
      this.#readAt = performance.now();
      try {
        reader.push(chunk);
      } catch {
        // The parent never sends garbage; if it does, the channel is unusable.
        process.exit(70);
      }
      // Run the chunk's jobs only once all its frames are read: their results then leave in one
      // write (not one each), and a RELEASE in the same chunk is seen before its job starts.
      if (this.#ready && this.#queue.length > 0) {
        if (this.#queue.length > 1 || this.#draining) this.#startReclaimThread();
        this.#drain();
      }
    });
    // The parent closed the channel or died: nobody can receive results any more.
    const orphaned = () => process.exit(0);
    socket.on('end', orphaned);
    socket.on('error', orphaned);
    socket.on('close', orphaned);
    process.on('SIGTERM', this.#onTerminate);
    // process.exit() in user code, an uncaught exception or an unhandled rejection all pass here.
    process.on('exit', this.#sayGoodbye);
    // Before the module loads: a module or init() spinning synchronously must still die with its parent.
    startOrphanWatchdog();
  }

  /**
   * The parent sends ABORT, then SIGTERM. On a busy machine both can be pending at once, and the
   * default SIGTERM would kill the process before the ABORT is read. So the signal is acted on
   * one tick later, once pending input (the ABORT) has been handled and ctx.signal aborted; then
   * the process dies by SIGTERM as it would have. A module with its own SIGTERM listener keeps
   * control of its exit (SIGKILL follows after killTimeout).
   */
  readonly #onTerminate = (): void => {
    setImmediate(() => {
      this.#running?.abort(new Error('The worker is being stopped (SIGTERM).'));
      if (process.listenerCount('SIGTERM') > 1) return;
      process.off('SIGTERM', this.#onTerminate);
      this.#sayGoodbye();
      process.kill(process.pid, 'SIGTERM');
    });
  };

  /**
   * On the way out: every answer finished so far, then EXITING with the job that was running.
   * The writes are synchronous (the answer fd is blocking), so they are in the kernel before the
   * process is gone, and the parent charges the running job alone; jobs sent ahead that never
   * started go back to its queue uncharged.
   */
  readonly #sayGoodbye = (): void => {
    if (this.#saidGoodbye) return;
    this.#saidGoodbye = true;
    try {
      this.#sendBusy();
      this.#writer.send(Kind.EXITING, this.#running?.jobId ?? 0, encodeValue(undefined));
      this.#writer.flush();
    } catch {
      // The parent is gone: nobody to tell.
    }
  };

  #send(kind: KindCode, id: number, value: unknown): void {
    this.#writer.send(kind, id, encodeValue(value));
  }

  #sendError(kind: KindCode, id: number, error: unknown): void {
    this.#send(kind, id, toErrorRecord(error));
  }

  #onFrame(kind: KindCode, id: number, payload: Buffer): void {
    switch (kind) {
      case Kind.INIT:
        void this.#init(decodeValue(payload) as InitMessage);
        return;
      case Kind.JOB:
        this.#queue.push({ id, seq: this.#nextSeq(), payload, value: undefined, name: undefined, receivedAt: this.#readAt });
        return;
      case Kind.JOBS: {
        // The parent wrote this run itself: a run that does not decode is a broken channel (exit 70).
        const values = decodeRun(payload, id);
        for (let i = 0; i < id; i++) {
          this.#queue.push({ id: runIdAt(payload, id, i), seq: this.#nextSeq(), payload: undefined, value: values[i], name: undefined, receivedAt: this.#readAt });
        }
        return;
      }
      case Kind.TASK: {
        const end = 1 + (payload[0] as number);
        this.#queue.push({ id, seq: this.#nextSeq(), payload: payload.subarray(end), value: undefined, name: payload.toString('utf8', 1, end), receivedAt: this.#readAt });
        return;
      }
      case Kind.ABORT:
        if (this.#running?.jobId === id) this.#running.abort(fromErrorRecord(decodeValue(payload) as ErrorRecord));
        // Not started yet (a cancelled job sent ahead): drop it and say so, as for RELEASE.
        else this.#release(this.#queue.findIndex((job) => job.id === id));
        return;
      case Kind.RELEASE:
        this.#release(this.#queue.findIndex((job) => job.seq === id));
        return;
      case Kind.RESUME:
        // Every job still queued was sent before this frame and not started when the reclaim
        // thread closed the gate: the parent has sent them elsewhere.
        if (!this.#gate.closed) process.exit(70);
        this.#queue.length = 0;
        this.#gate.reopen();
        return;
      case Kind.SHUTDOWN:
        this.#shuttingDown = true;
        this.#exitIfIdle();
        return;
      case Kind.CALLBACK_RESULT:
      case Kind.CALLBACK_ERROR:
        this.#calls.answer(kind, id, payload);
        return;
      default:
        process.exit(70);
    }
  }

  /** The seq of the job being received (see channel/job-seq.ts): both sides count job frames alike. */
  #nextSeq(): number {
    this.#received = nextSeq(this.#received);
    return this.#received;
  }

  /**
   * Jobs are being sent ahead of one another, and one may turn out long: from now on the parent
   * may have to take them back while this thread is busy (reclaim-thread.ts). Started once, when
   * that first happens (a pool of one job at a time never pays the thread's start, 25–40 ms CPU).
   */
  #startReclaimThread(): void {
    if (this.#reclaimThread) return;
    this.#reclaimThread = true;
    startReclaimThread(this.#gate.word, this.#writer.memory);
  }

  /** Drops a job that has not started and says so (RELEASED), so the parent can run it elsewhere. */
  #release(index: number): void {
    if (index === -1) return;
    const [job] = this.#queue.splice(index, 1) as [QueuedJob];
    this.#send(Kind.RELEASED, job.seq, undefined);
  }

  async #init(message: InitMessage): Promise<void> {
    this.#initPending = true;
    this.#workerId = message.workerId;
    this.#maxMessageSize = message.maxMessageSize;
    this.#runLimit = Math.min(MAX_RUN_BYTES, message.maxMessageSize);
    this.#reportRss = message.reportRss;
    try {
      const handlers = await this.#handlers;
      if (typeof handlers.work !== 'function') {
        throw new TypeError('The worker module has no default export function: write `export default function work(job, ctx) { ... }`.');
      }
      if (handlers.init) await handlers.init(message.initData);
      this.#work = handlers.work;
      this.#tasks = handlers.tasks;
      this.#teardown = handlers.teardown;
      this.#ready = true;
      this.#initPending = false;
      this.#send(Kind.READY, 0, process.pid);
      this.#writer.flush();
      if (message.reclaimAtOnce) this.#startReclaimThread();
      this.#drain();
    } catch (error) {
      this.#initPending = false;
      this.#sendError(Kind.INIT_ERROR, 0, error);
      this.#writer.flush();
    }
  }

  /** Calls `name` in the parent and waits for its answer. */
  callback(name: string, payload: unknown, jobId: number | undefined): Promise<unknown> {
    return this.#calls.call(name, payload, jobId);
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#runQueued();
  }

  /**
   * Runs queued jobs synchronously until one returns a promise; that one's settlement resumes the
   * loop. Synchronous jobs thus cost no promise and no microtask hop each.
   */
  #runQueued(): void {
    const work = this.#work as WorkerHandlers['work'];
    let sinceFlush = 0;
    const batchStart = performance.now();
    // Jobs run back to back: one starts when the one before ended (one clock read per job, not two).
    let jobStart = batchStart;
    for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
      // Handed back (the reclaim thread closed the gate while an earlier job ran): it runs elsewhere.
      if (!this.#gate.claim(job.seq)) continue;
      const jobId = job.id;
      const fn = job.name === undefined ? work : this.#tasks?.get(job.name);
      if (!fn) {
        this.#sendError(Kind.JOB_ERROR, jobId, new TaskUnknownError(job.name as string, [...(this.#tasks?.keys() ?? ['default'])]));
        jobStart = this.#jobDone(job, jobStart);
        continue;
      }
      const ctx = new JobContext(jobId, this.#workerId, this.#callParent, this.#report);
      this.#running = ctx;
      let value: unknown;
      try {
        value = fn(job.payload === undefined ? job.value : decodeValue(job.payload), ctx);
      } catch (error) {
        this.#sendError(Kind.JOB_ERROR, jobId, error);
        jobStart = this.#jobDone(job, jobStart);
        continue;
      }
      if (isThenable(value)) {
        const started = jobStart;
        this.#flush();
        Promise.resolve(value).then(
          (result) => {
            this.#sendResult(jobId, result);
            this.#jobDone(job, started);
            this.#flush();
            this.#runQueued();
          },
          (error: unknown) => {
            this.#sendError(Kind.JOB_ERROR, jobId, error);
            this.#jobDone(job, started);
            this.#flush();
            this.#runQueued();
          },
        );
        return;
      }
      this.#sendResult(jobId, value);
      const now = this.#jobDone(job, jobStart);
      // Let the event loop read what arrived meanwhile (RELEASE, ABORT, more jobs) between batches.
      if (now - batchStart >= YIELD_AFTER_MS && this.#queue.length > 0) {
        this.#flush();
        setImmediate(() => this.#runQueued());
        return;
      }
      // Tiny results leave together; a result that took a while leaves at once.
      if (++sinceFlush >= FLUSH_EVERY || now - jobStart >= SLOW_JOB_MS) {
        sinceFlush = 0;
        this.#flush();
        // The write is not the next job's run time.
        jobStart = performance.now();
      } else jobStart = now;
    }
    this.#draining = false;
    this.#flush();
    this.#exitIfIdle();
  }

  /** Records the job's timing; returns performance.now() at its end. */
  #jobDone(job: QueuedJob, jobStart: number): number {
    this.#running = undefined;
    const now = performance.now();
    const at = this.#busyCount * TIMING_BYTES;
    if (at + TIMING_BYTES > this.#timings.length) {
      const bigger = Buffer.allocUnsafe(this.#timings.length * 2);
      this.#timings.copy(bigger, 0, 0, at);
      this.#timings = bigger;
    }
    const timings = this.#timings;
    timings.writeUInt32LE(job.id, at);
    timings.writeUInt32LE(Math.min(Math.max(0, Math.round((jobStart - job.receivedAt) * 1000)), MAX_U32), at + 4);
    timings.writeUInt32LE(Math.min(Math.round((now - jobStart) * 1000), MAX_U32), at + 8);
    this.#busyCount++;
    if (this.#reportRss) this.#writer.send(Kind.RSS, Math.min(Math.round(process.memoryUsage.rss() / 1024), 0xffffffff), encodeValue(undefined));
    return now;
  }

  /**
   * How long the jobs answered since the last flush waited and ran here, told once per flush:
   * the parent sizes what it sends ahead by it and keeps the pool's runTime/waitTime figures.
   * The writer copies small payloads; a big one is written before the buffer is reused (the
   * answer fd is written synchronously, see sync-sink.ts).
   */
  #sendBusy(): void {
    if (this.#busyCount === 0) return;
    this.#writer.send(Kind.BUSY, this.#busyCount, this.#timings.subarray(0, this.#busyCount * TIMING_BYTES));
    this.#busyCount = 0;
  }

  #flush(): void {
    this.#sendBusy();
    this.#writer.flush();
  }

  #sendResult(id: number, value: unknown): void {
    let text: string | undefined;
    try {
      // Reading the value runs its getters, which may throw: that is the result's fault, not the worker's.
      text = jsonText(value);
    } catch (error) {
      this.#sendError(Kind.JOB_ERROR, id, new UnserializableError('job result', error));
      return;
    }
    // UTF-8 is at most 3 bytes per UTF-16 unit: only a long text needs its size measured.
    if (text !== undefined && (text.length * 3 < this.#maxMessageSize || 1 + Buffer.byteLength(text) <= this.#maxMessageSize)) {
      // A small one joins the results around it in one frame.
      if (!this.#writer.sendInRun(Kind.RESULTS, id, text, this.#runLimit)) this.#writer.sendText(Kind.RESULT, id, TAG_JSON, text);
      return;
    }
    let parts: [Buffer] | [Buffer, Uint8Array];
    try {
      // encodeValue's bytes (the text is not made again), with a binary or v8 body kept apart:
      // it is not copied after its tag.
      parts = text === undefined ? encodeValueParts(value) : [jsonBytes(text)];
    } catch (error) {
      this.#sendError(Kind.JOB_ERROR, id, new UnserializableError('job result', error));
      return;
    }
    const size = parts.length === 1 ? parts[0].length : parts[0].length + parts[1].byteLength;
    if (size > this.#maxMessageSize) {
      this.#sendError(Kind.JOB_ERROR, id, new MessageTooLargeError('job result', size, this.#maxMessageSize));
      return;
    }
    // A binary result is the work function's own memory, which it may change once it has
    // returned (a buffer reused from job to job): the writer copies it, or writes it at once.
    this.#writer.send(Kind.RESULT, id, parts);
  }

  #exitIfIdle(): void {
    if (!this.#shuttingDown || this.#draining || this.#queue.length > 0 || this.#initPending || this.#tearingDown) return;
    this.#flush();
    if (this.#teardown) {
      // A graceful end only: the parent bounds it (killTimeout), and a crash, a timeout or a
      // forced close never comes here.
      this.#tearingDown = true;
      const teardown = this.#teardown;
      this.#teardown = undefined;
      void (async () => {
        try {
          await teardown();
        } catch (error) {
          this.#sendError(Kind.TEARDOWN_ERROR, 0, error);
        }
        this.#writer.flush();
        process.exit(0);
      })();
      return;
    }
    process.exit(0);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}
