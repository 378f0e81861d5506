import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { decodeValue, encodeValue } from './channel/codec.js';
import { fromErrorRecord, toErrorRecord, type ErrorRecord } from './channel/error-wire.js';
import { decodeRun, runIdAt } from './channel/json-run.js';
import { Kind, type KindCode } from './channel/messages.js';
import {
  AbortError,
  InvalidOptionError,
  JobTimeoutError,
  MessageTooLargeError,
  PoolClosedError,
  ProtocolError,
  QueueFullError,
  UnserializableError,
  WorkerCrashedError,
  WorkerInitError,
} from './errors.js';
import type { NormalizedOptions } from './options.js';
import { WorkerProcess, type ExitReason } from './supervisor/worker-process.js';
import { classifyExit } from './supervisor/exit-classifier.js';
import { SpawnPolicy } from './supervisor/spawn-policy.js';
import type { PoolStats, ProgressEvent, RunOptions, WorkerExitEvent, WorkerReadyEvent, WorkerSpawnEvent } from './pool-types.js';
import { pickStealVictim, pickWorker, sendAheadDepth } from './scheduler/dispatcher.js';
import { Ledger } from './scheduler/ledger.js';
import { JobEncoder } from './scheduler/job-payload.js';
import { poolStats } from './scheduler/stats.js';
import { onAbort } from './util/abort-listener.js';
import { checkRunOptions } from './run-options.js';
import { checkTransfer, takeTransferred } from './scheduler/transfer.js';
import { withAllocatorEnv } from './supervisor/allocator-env.js';
import { JobQueue } from './queue/job-queue.js';
import { Histogram } from './util/histogram.js';
import * as diagnostics from './scheduler/diagnostics.js';
import { CallbackService } from './scheduler/callbacks.js';
import { releasePayload, type Job } from './scheduler/job.js';
import { takeAnswered, takeReclaimed, takeReleased, type WorkerSlot } from './scheduler/slot.js';
import { nextSeq } from './channel/job-seq.js';

const CHILD_ENTRY = fileURLToPath(new URL('./child/main.js', import.meta.url));

/** Workers booting at once, and the pace of further starts (see ensureWorkers). */
const SPAWN_CONCURRENCY = Math.max(2, availableParallelism());
const STAGGER_MS = 100;
/** A worker asked for a job back that answers nothing at all for this long is in a long job (see #askBack). */
const STUCK_MS = 20;
/**
 * Jobs of very different lengths: once a long one was seen, sending ahead shrinks to what that
 * length allows and grows back as the memory of it halves every this many ms.
 */
const LONG_JOB_HALF_LIFE_MS = 250;
/** A job at least this long is remembered as long (see LONG_JOB_HALF_LIFE_MS). */
const LONG_JOB_MS = 20;

export interface EngineHooks {
  workerSpawn(event: WorkerSpawnEvent): void;
  workerExit(event: WorkerExitEvent): void;
  workerReady(event: WorkerReadyEvent): void;
  progress(event: ProgressEvent): void;
  error(error: Error): void;
  /** There is room in the queue again (below maxQueue), or it emptied. */
  drain(): void;
}

/**
 * The scheduler and supervisor behind `Pool`, wiring its units: the ledger (settle once,
 * counts), the dispatcher (which worker, how many ahead, stealing), the exit classifier (what a
 * worker's end means, who is charged) and the spawn policy (back-off, give-up).
 * Invariant: every submitted job settles exactly once, and every spawned child is reaped.
 */
export class PoolEngine {
  readonly #options: NormalizedOptions;
  readonly #hooks: EngineHooks;
  readonly #callbacks: CallbackService;
  readonly #queue = new JobQueue<Job>();
  readonly #runTime = new Histogram();
  readonly #waitTime = new Histogram();
  /** ready() callers waiting for minWorkers ready workers. */
  #readyWaiters: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  /** Jobs waiting out a retry back-off. */
  readonly #retrying = new Set<Job>();
  readonly #encoder: JobEncoder;
  readonly #slots = new Set<WorkerSlot>();
  readonly #ledger = new Ledger(() => this.#idleSoon());
  readonly #policy: SpawnPolicy;
  #nextJobId = 1;
  #nextWorkerId = 1;
  #closing = false;
  #forced = false;
  #broken: WorkerInitError | undefined;
  /** One timer for "spawn again later" (start back-off or staggered starts), due at #spawnTimerAt. */
  #spawnTimer: NodeJS.Timeout | undefined;
  #spawnTimerAt = 0;
  #lastSpawnAt = 0;
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  /** close() holds the event loop until every child is reaped. */
  #closeHold = 0;
  #active = true;
  #idleCheck: NodeJS.Immediate | undefined;
  /** The queue was full (maxQueue reached): `drain` fires once it has room again. */
  #full = false;
  /** Moving average of job service time (ms) as the children measure it; NaN until known. */
  #serviceMs = Number.NaN;
  /** The slowest recent service time (ms), halving every LONG_JOB_HALF_LIFE_MS: after a long job, little is sent ahead for a while. */
  #longestMs = 0;
  #longestAt = 0;

  constructor(options: NormalizedOptions, hooks: EngineHooks) {
    this.#options = options;
    this.#hooks = hooks;
    this.#policy = new SpawnPolicy(options.maxStartFailures);
    this.#encoder = new JobEncoder(options.maxMessageSize);
    this.#callbacks = new CallbackService(options.callbacks, options.callbackTimeout);
    try {
      encodeValue(options.initData);
    } catch (error) {
      throw new InvalidOptionError('initData', `it cannot be sent to a worker (${(error as Error).message}); use structured-clone values.`);
    }
    this.#ensureWorkers();
    this.#setActive(false);
  }

  get closing(): boolean {
    return this.#closing;
  }

  get queued(): number {
    return this.#queue.length + this.#retrying.size;
  }

  /** How many more jobs are accepted now before ERR_QUEUE_FULL. */
  room(): number {
    // Unbounded (the default): nothing to count, on every run().
    if (this.#options.maxQueue === Infinity) return Infinity;
    let free = 0;
    for (const slot of this.#slots) if (slot.state === 'ready' && slot.inflight.length === 0 && !slot.recycle) free++;
    return this.#options.maxQueue - this.queued + free;
  }

  /** Someone waits for room: `drain` fires once there is some. */
  waitForRoom(): void {
    this.#full = true;
  }

  /** Submits one job; the promise settles exactly once. */
  submit(input: unknown, options: RunOptions = {}): Promise<unknown> {
    if (this.#closing) return Promise.reject(new PoolClosedError());
    const timeout = options.timeout === undefined ? this.#options.timeout : options.timeout;
    const invalid = checkRunOptions(options, timeout);
    if (invalid) return Promise.reject(invalid);
    const { signal, name, priority = 0, onProgress } = options;
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.room() <= 0) {
      this.#full = true;
      return Promise.reject(new QueueFullError(this.#options.maxQueue));
    }
    let payload: Job['payload'];
    let release: (() => void) | undefined;
    if (options.transfer !== undefined) {
      // Checked before the caller's memory is detached: a refused job leaves it as it was.
      const refused = checkTransfer(input, options.transfer, this.#options.maxMessageSize);
      if (refused) return Promise.reject(refused);
      try {
        payload = takeTransferred(input as Uint8Array);
      } catch (error) {
        return Promise.reject(error);
      }
    } else {
      try {
        const staged = this.#encoder.stage(input);
        if (staged) ({ bytes: payload, release } = staged);
        else payload = this.#encoder.encode(input);
      } catch (error) {
        return Promise.reject(new UnserializableError('job', error));
      }
    }
    if (Buffer.isBuffer(payload) && payload.length > this.#options.maxMessageSize) {
      release?.();
      return Promise.reject(new MessageTooLargeError('job', payload.length, this.#options.maxMessageSize));
    }
    const now = performance.now();
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: this.#nextJobId++,
        input,
        payload,
        releasePayload: release,
        timeout,
        name: name === 'default' ? undefined : name,
        priority,
        onProgress,
        submittedAt: now,
        dispatchedAt: 0,
        answered: false,
        attempts: 0,
        suspect: false,
        retryTimer: undefined,
        settled: false,
        outcome: undefined,
        error: undefined,
        worker: undefined,
        seq: 0,
        releasing: false,
        timer: undefined,
        armed: false,
        resolve,
        reject,
        detach: undefined,
      };
      if (this.#nextJobId > 0xfffffff0) this.#nextJobId = 1;
      if (signal) {
        // One listener per signal however many jobs share it (no MaxListenersExceededWarning).
        job.detach = onAbort(signal, () => this.#cancel(job, signal.reason));
      }
      this.#ledger.open();
      this.#setActive(true);
      this.#queue.push(job);
      this.#pump(now);
      this.#ensureWorkers();
      if (this.room() <= 0) this.#full = true;
    });
  }

  // ---------------------------------------------------------------- settling

  #finish(job: Job, ok: boolean, value: unknown): void {
    if (!this.#ledger.finish(job, ok, value)) return;
    // An answered job is told of once its timing arrives (#onBusy); the others now.
    if (!job.answered && diagnostics.jobEnd.hasSubscribers) this.#publishEnd(job, undefined, undefined, undefined);
  }

  #publishEnd(job: Job, slot: WorkerSlot | undefined, waitMs: number | undefined, runMs: number | undefined): void {
    const failed = job.outcome === 'rejected';
    diagnostics.jobEnd.publish({
      jobId: job.id,
      workerId: slot?.id,
      pid: slot?.proc.pid,
      name: job.name ?? 'default',
      status: failed ? 'rejected' : 'fulfilled',
      ...(failed ? { error: job.error } : {}),
      waitMs,
      runMs,
    } satisfies diagnostics.JobEndMessage);
  }

  /**
   * Unreference the children once the pool stays idle past this tick. A caller running one job at
   * a time submits the next from the previous one's continuation, before setImmediate fires, so
   * the handles are not toggled (two syscalls each) on every round trip.
   */
  #idleSoon(): void {
    if (this.#idleCheck) return;
    this.#idleCheck = setImmediate(() => {
      this.#idleCheck = undefined;
      if (this.#ledger.unsettled === 0 && this.#closeHold === 0 && this.#readyWaiters.length === 0) this.#setActive(false);
    });
  }

  /** Keeps the parent's event loop alive only while there is work: an idle pool never holds the process open. */
  #setActive(active: boolean): void {
    if (this.#active === active) return;
    this.#active = active;
    for (const slot of this.#slots) slot.proc.setRef(active);
  }

  /** The queue had been full and now has room: tell those waiting (once, not per dispatch). */
  #roomMaybe(): void {
    if (!this.#full || this.room() <= 0) return;
    this.#full = false;
    this.#hooks.drain();
  }

  #cancel(job: Job, reason: unknown): void {
    if (job.settled) return;
    this.#ledger.counts.cancelled++;
    const slot = job.worker;
    if (!slot) {
      this.#queue.remove(job);
      this.#retrying.delete(job);
      // A queued job has no write pending: a worker it was sent to before released it, or died.
      releasePayload(job);
      this.#finish(job, false, new AbortError(reason));
      this.#roomMaybe();
      return;
    }
    const running = slot.inflight[0] === job;
    this.#finish(job, false, new AbortError(reason));
    if (running) {
      this.#retireNow(slot, 'cancel', job, new AbortError(reason));
    } else if (!job.releasing) {
      // Not started: take it back; it stays a ghost until the child confirms.
      this.#askBack(slot, job);
    }
  }

  // ---------------------------------------------------------------- dispatch

  /** Sends queued jobs to workers with room; `now` is performance.now() if the caller has it (one clock read per pump, not per job). */
  #pump(now?: number): void {
    const depth = sendAheadDepth(Math.max(this.#serviceMs, this.#recentLongest()), this.#options.prefetch);
    for (let job = this.#queue.peek(); job; job = this.#queue.peek()) {
      const slot = pickWorker(this.#slots, job, depth, this.#options.maxJobsPerWorker);
      if (!slot) break;
      this.#queue.shift();
      now ??= performance.now();
      this.#dispatch(slot, job, now);
    }
    this.#roomMaybe();
  }

  #dispatch(slot: WorkerSlot, job: Job, now: number): void {
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    job.worker = slot;
    job.seq = slot.sent = nextSeq(slot.sent);
    job.dispatchedAt = now;
    slot.inflight.push(job);
    slot.dispatched++;
    if (job.name !== undefined) slot.proc.sendTask(job.id, job.name, job.payload);
    else if (typeof job.payload === 'string') slot.proc.sendJobText(job.id, job.payload);
    else slot.proc.send(Kind.JOB, job.id, job.payload);
    if (diagnostics.jobStart.hasSubscribers) diagnostics.jobStart.publish({ jobId: job.id, workerId: slot.id, pid: slot.proc.pid, name: job.name ?? 'default' });
    if (slot.inflight.length === 1) this.#armHead(slot);
  }

  /** The head job is the one running (as far as the parent can tell): its time limit starts now. */
  #armHead(slot: WorkerSlot): void {
    const head = slot.inflight[0];
    if (!head || head.armed) return;
    head.armed = true;
    if (head.settled) {
      if (slot.state === 'ready') this.#stopGhost(slot, head);
      return;
    }
    if (head.timeout === 0) return;
    head.timer = setTimeout(() => {
      head.timer = undefined;
      if (head.settled || slot.inflight[0] !== head) return;
      this.#onTimeout(slot, head);
    }, head.timeout);
  }

  /**
   * The head's time ran out. If it is the worker's only unanswered job it is certainly the one
   * running: it fails now. Otherwise answers may still be in the child (they leave in batches),
   * and the job really running may be a later one: the worker is stopped and its exit decides
   * (see #onExit), so that a job that finished in time is never called timed out.
   */
  #onTimeout(slot: WorkerSlot, head: Job): void {
    if (slot.inflight.filter((job) => !job.settled).length > 1) {
      slot.timedOut = true;
      this.#retireNow(slot, 'timeout', head, new JobTimeoutError(head.timeout));
      return;
    }
    this.#ledger.counts.timedOut++;
    const error = new JobTimeoutError(head.timeout);
    this.#finish(head, false, error);
    this.#retireNow(slot, 'timeout', head, error);
  }

  /**
   * A cancelled job that had been sent ahead reached the front. The child may be running it
   * (a child busy with synchronous jobs reads its RELEASE only later), and nothing would ever stop
   * it: abort it, and stop the worker if it neither lets go of it nor answers within killTimeout.
   */
  #stopGhost(slot: WorkerSlot, ghost: Job): void {
    slot.proc.send(Kind.ABORT, ghost.id, encodeValue(toErrorRecord(new AbortError())));
    ghost.timer = setTimeout(() => {
      ghost.timer = undefined;
      if (slot.inflight[0] === ghost) this.#retireNow(slot, 'cancel', ghost, new AbortError());
    }, this.#options.killTimeout);
  }

  /**
   * An idle worker takes back a not-yet-started job from the busiest worker. The victim's main
   * thread answers the RELEASE between its jobs; if it has not within STUCK_MS, it is in a long
   * one, and its reclaim thread is asked to hand back everything not started (see #reclaim).
   * (Reclaiming at once would bounce tiny jobs that were about to run anyway.)
   */
  #steal(): void {
    const victim = pickStealVictim(this.#slots);
    if (!victim) return;
    this.#askBack(victim, victim.inflight[victim.inflight.length - 1] as Job);
  }

  /**
   * Asks the worker to hand back a job it has not started (RELEASE, answered between its jobs).
   * If the worker has answered nothing at all STUCK_MS later, it is in a long job, and its reclaim
   * thread takes back everything not started at once (see #reclaim). A worker that answers is
   * busy with short jobs, or the job had started: it reads the RELEASE soon, or needs none.
   */
  #askBack(slot: WorkerSlot, job: Job): void {
    job.releasing = true;
    slot.proc.sendValue(Kind.RELEASE, job.seq, undefined);
    if (!slot.askBackTimer) this.#watchAskBack(slot);
  }

  /** While a RELEASE to the worker is unanswered, checks every STUCK_MS whether it answered anything. */
  #watchAskBack(slot: WorkerSlot): void {
    const answersBefore = slot.answers;
    slot.askBackTimer = setTimeout(() => {
      slot.askBackTimer = undefined;
      if (slot.state !== 'ready' || !slot.inflight.some((waiting) => waiting.releasing)) return;
      // Answers came (short jobs, or the reclaim thread sending those finished before a long
      // one): look again later.
      if (slot.answers !== answersBefore) this.#watchAskBack(slot);
      else this.#reclaim(slot);
    }, STUCK_MS);
    slot.askBackTimer.unref();
  }

  /**
   * Asks the worker's reclaim thread to stop it starting jobs; RECLAIMED says which never will
   * (#onReclaimed). Not while it is held by a job started before the last RESUME: until that job
   * is answered the worker has not read the RESUME, and has nothing new to hand back.
   */
  #reclaim(slot: WorkerSlot): void {
    if (slot.state !== 'ready' || slot.reclaiming || slot.heldBy || slot.proc.reason !== undefined || !slot.proc.sendReclaim()) return;
    slot.reclaiming = true;
    slot.heldBy = slot.inflight[0];
  }

  /**
   * The worker started nothing after `lastStarted` and starts nothing more until RESUME: the jobs
   * sent after it go back to the front of the queue (uncharged: they never ran), and the worker
   * takes no new job until the last one it started is answered (a new one would wait behind it).
   */
  #onReclaimed(slot: WorkerSlot, lastStarted: number): void {
    if (!slot.reclaiming) throw new ProtocolError('a RECLAIMED that no RECLAIM asked for');
    slot.reclaiming = false;
    const taken = takeReclaimed(slot, lastStarted);
    slot.proc.send(Kind.RESUME, 0, encodeValue(undefined));
    slot.heldBy = slot.inflight[slot.inflight.length - 1];
    const requeue: Job[] = [];
    for (const job of taken) {
      if (job.settled) releasePayload(job);
      else requeue.push(job);
    }
    this.#queue.unshift(...requeue);
    this.#afterJob(slot);
    this.#pump();
  }

  // ---------------------------------------------------------------- frames from a worker

  #onFrame(slot: WorkerSlot, kind: KindCode, id: number, payload: Buffer): void {
    switch (kind) {
      case Kind.RESULT:
      case Kind.JOB_ERROR:
        this.#onAnswer(slot, id, kind === Kind.RESULT, payload);
        return;
      case Kind.RESULTS:
        this.#onResults(slot, id, payload);
        return;
      case Kind.BUSY:
        this.#onBusy(slot, id, payload);
        return;
      case Kind.PROGRESS:
        this.#onProgress(slot, id, payload);
        return;
      case Kind.TEARDOWN_ERROR:
        slot.teardownError = errorFrom(payload);
        return;
      case Kind.READY:
        this.#onReady(slot);
        return;
      case Kind.INIT_ERROR:
        this.#onInitError(slot, payload);
        return;
      case Kind.RELEASED:
        this.#onReleased(slot, id);
        return;
      case Kind.RECLAIMED:
        this.#onReclaimed(slot, id);
        return;
      case Kind.EXITING:
        slot.goodbye = { running: id };
        return;
      case Kind.CALLBACK:
        this.#callbacks.handle(slot.proc, slot.id, id, payload);
        return;
      case Kind.RSS:
        if (this.#options.maxMemoryPerWorker > 0 && id > this.#options.maxMemoryPerWorker * 1024 && !slot.recycle) {
          slot.recycle = 'memory';
          // The RSS frame follows the job's answer, so the worker is often idle by now: nothing
          // else would retire it, and it would linger, skipped by dispatch, until close.
          if (slot.inflight.length === 0) this.#afterJob(slot);
          this.#ensureWorkers();
        }
        return;
      default:
        slot.proc.kill('protocol');
    }
  }

  /**
   * The timing of the jobs answered since the last BUSY, measured in the child (not blurred by
   * batched answers): service time for the send-ahead depth, runTime and waitTime for stats().
   */
  #onBusy(slot: WorkerSlot, count: number, payload: Buffer): void {
    const answered = slot.answered;
    slot.answered = [];
    if (!(count > 0) || payload.length !== count * 12) throw new ProtocolError('a BUSY frame whose length does not match its count');
    let micros = 0;
    let longestUs = 0;
    const publish = diagnostics.jobEnd.hasSubscribers;
    for (let i = 0, at = 0; i < count; i++, at += 12) {
      const job = answered[i];
      const runUs = payload.readUInt32LE(at + 8);
      micros += runUs;
      if (runUs > longestUs) longestUs = runUs;
      this.#runTime.recordMicros(runUs);
      if (!job || job.id !== payload.readUInt32LE(at)) continue;
      const waitMs = job.dispatchedAt - job.submittedAt + payload.readUInt32LE(at + 4) / 1000;
      this.#waitTime.record(waitMs);
      if (publish) this.#publishEnd(job, slot, waitMs, runUs / 1000);
    }
    const longest = longestUs / 1000;
    const sample = micros / count / 1000;
    this.#serviceMs = Number.isNaN(this.#serviceMs) ? sample : this.#serviceMs * 0.7 + sample * 0.3;
    // The longest job of the flush, as itself (not averaged with the tiny ones around it). Only a
    // really long one is remembered: the first jobs of a fresh worker (module code still cold)
    // must not hold back sending ahead for the next second.
    if (longest >= LONG_JOB_MS && longest > this.#recentLongest()) {
      this.#longestMs = longest;
      this.#longestAt = performance.now();
    }
  }

  #recentLongest(): number {
    if (this.#longestMs === 0) return 0;
    const longest = this.#longestMs * 0.5 ** ((performance.now() - this.#longestAt) / LONG_JOB_HALF_LIFE_MS);
    if (longest >= LONG_JOB_MS) return longest;
    this.#longestMs = 0;
    return 0;
  }

  #onReady(slot: WorkerSlot): void {
    // A second READY is a broken protocol; a READY after the worker's own INIT_ERROR, or from one
    // being retired before it was ready (close() while it started), puts no job on it.
    if (slot.wasReady) {
      slot.proc.kill('protocol');
      return;
    }
    if (slot.state !== 'starting' || slot.proc.reason !== undefined) return;
    clearStartTimer(slot);
    slot.state = 'ready';
    slot.wasReady = true;
    this.#policy.ready();
    this.#hooks.workerReady({ workerId: slot.id, pid: slot.proc.pid, startMs: performance.now() - slot.spawnedAt });
    this.#settleReady();
    this.#pump();
    this.#afterJob(slot);
    // One boot slot is free: start the next worker if the pool is still filling.
    this.#ensureWorkers();
  }

  #onInitError(slot: WorkerSlot, payload: Buffer): void {
    // Only a worker that was never ready can fail its start; one that was says nonsense.
    if (slot.wasReady) {
      slot.proc.kill('protocol');
      return;
    }
    let cause: unknown;
    try {
      cause = fromErrorRecord(decodeValue(payload) as ErrorRecord);
    } catch (error) {
      cause = error;
    }
    const message = cause instanceof Error ? cause.message : String(cause);
    this.#startFailed(slot, new WorkerInitError(`The worker module ${this.#options.workerUrl} failed to start: ${message}`, cause));
    // A child whose start failed is killed, never reused: its module state is unknown. Its
    // reason is init-failure even when close() had already asked it to shut down.
    slot.proc.reason = 'init-failure';
    slot.proc.kill('init-failure');
  }

  #onAnswer(slot: WorkerSlot, id: number, ok: boolean, payload: Buffer): void {
    const job = this.#answered(slot, id);
    if (!job) return;
    if (!job.settled) {
      let value: unknown;
      try {
        value = decodeValue(payload);
      } catch (error) {
        ok = false;
        value = new ProtocolError(`A result could not be decoded: ${(error as Error).message}`);
      }
      this.#finish(job, ok, ok ? value : value instanceof ProtocolError ? value : fromErrorRecord(value as ErrorRecord));
    }
    this.#afterJob(slot);
  }

  /** Several jobs' values in one frame (see channel/json-run.ts); the worker's load is looked at once, after them all. */
  #onResults(slot: WorkerSlot, count: number, payload: Buffer): void {
    // Not one job's fault: a worker whose frame does not decode is broken (its jobs go by the exit rules).
    const values = decodeRun(payload, count);
    for (let i = 0; i < count; i++) {
      const job = this.#answered(slot, runIdAt(payload, count, i));
      if (job && !job.settled) this.#finish(job, true, values[i]);
    }
    this.#afterJob(slot);
  }

  /** Takes an answered job off its worker (undefined for an id it does not hold) and notes what the answer tells. */
  #answered(slot: WorkerSlot, id: number): Job | undefined {
    const job = takeAnswered(slot, id);
    if (!job) return undefined;
    job.answered = true;
    slot.answers++;
    slot.answered.push(job);
    if (!slot.served) {
      // A worker that answers is healthy: failed starts and kills before it no longer count in a row.
      slot.served = true;
      this.#policy.served();
    }
    job.suspect = false;
    releasePayload(job);
    return job;
  }

  #onReleased(slot: WorkerSlot, seq: number): void {
    const job = takeReleased(slot, seq);
    if (!job) return;
    if (!job.settled) this.#queue.unshift(job);
    else releasePayload(job);
    this.#pump();
    this.#afterJob(slot);
  }

  /** After a worker's load changed: arm the new head, recycle, steal, idle, close. */
  #afterJob(slot: WorkerSlot): void {
    this.#armHead(slot);
    if (slot.state !== 'ready') return;
    if (slot.inflight.length === 0) {
      const limit = this.#options.maxJobsPerWorker;
      if (!slot.recycle && limit > 0 && slot.dispatched >= limit) slot.recycle = 'recycle';
      if (slot.recycle) {
        this.#retireGracefully(slot, slot.recycle);
        this.#ensureWorkers();
        return;
      }
    }
    this.#pump();
    if (slot.inflight.length > 0) return;
    if (this.#queue.length === 0) this.#steal();
    if (slot.inflight.length > 0) return;
    if (this.#closing && this.queued === 0) {
      this.#retireGracefully(slot, 'shutdown');
      return;
    }
    this.#armIdleTimer(slot);
  }

  #armIdleTimer(slot: WorkerSlot): void {
    if (slot.idleTimer || this.#liveCount() <= this.#options.minWorkers) return;
    slot.idleTimer = setTimeout(() => {
      slot.idleTimer = undefined;
      if (slot.state === 'ready' && slot.inflight.length === 0 && this.#liveCount() > this.#options.minWorkers) {
        this.#retireGracefully(slot, 'idle');
      }
    }, this.#options.idleTimeout);
    slot.idleTimer.unref();
  }

  // ---------------------------------------------------------------- worker lifecycle

  #liveCount(): number {
    let live = 0;
    for (const slot of this.#slots) if (slot.state === 'starting' || (slot.state === 'ready' && !slot.recycle)) live++;
    return live;
  }

  /** Spawns workers up to what the load needs, within min/max and the spawn policy's back-off. */
  #ensureWorkers(): void {
    if (this.#forced || this.#broken) return;
    for (;;) {
      let live = 0;
      let starting = 0;
      let free = 0;
      for (const slot of this.#slots) {
        if (slot.state === 'starting') {
          starting++;
          live++;
        } else if (slot.state === 'ready' && !slot.recycle) {
          live++;
          if (slot.inflight.length === 0) free++;
        }
      }
      const waiting = this.queued;
      const wanted = this.#closing
        ? live === 0 && waiting > 0 // finish queued work even while closing
        : live < this.#options.minWorkers || (live < this.#options.maxWorkers && waiting > free + starting);
      if (!wanted) return;
      // Booting Node is CPU-bound: started all at once, N workers on fewer cores are all ready late.
      // Start as many as there are cores, then one more per STAGGER_MS (or as each becomes ready),
      // so the first workers serve sooner while a slow, I/O-bound init still fills the pool quickly.
      if (starting >= SPAWN_CONCURRENCY && this.#notBefore(this.#lastSpawnAt + STAGGER_MS)) return;
      // While starts fail, one at a time; after failures and external kills, no faster than the back-off.
      if (this.#policy.oneAtATime && starting > 0) return;
      if (this.#notBefore(this.#policy.notBefore)) return;
      this.#spawn();
    }
  }

  /** True (and ensureWorkers runs again then) while `time` is still ahead: no spawn before it. */
  #notBefore(time: number): boolean {
    const wait = time - Date.now();
    if (wait <= 0) return false;
    // A timer already due no later serves; a later one is replaced.
    if (this.#spawnTimer && this.#spawnTimerAt <= time) return true;
    this.#clearSpawnTimer();
    this.#spawnTimerAt = time;
    this.#spawnTimer = setTimeout(() => {
      this.#spawnTimer = undefined;
      this.#ensureWorkers();
    }, wait);
    return true;
  }

  #clearSpawnTimer(): void {
    if (this.#spawnTimer) clearTimeout(this.#spawnTimer);
    this.#spawnTimer = undefined;
  }

  #spawn(): void {
    this.#lastSpawnAt = Date.now();
    const id = this.#nextWorkerId++;
    const slot = {
      id,
      state: 'starting',
      inflight: [],
      dispatched: 0,
      recycle: undefined,
      idleTimer: undefined,
      startFailureCounted: false,
      startTimer: undefined,
      served: false,
      wasReady: false,
      goodbye: undefined,
      timedOut: false,
      answered: [],
      sent: 0,
      answers: 0,
      askBackTimer: undefined,
      reclaiming: false,
      heldBy: undefined,
      spawnedAt: performance.now(),
      teardownError: undefined,
    } as unknown as WorkerSlot;
    slot.proc = new WorkerProcess(
      {
        args: this.#options.child?.args ?? [CHILD_ENTRY, this.#options.workerUrl],
        execArgv: this.#options.execArgv,
        env: withAllocatorEnv(this.#options.child ? { ...(this.#options.env ?? process.env), ...this.#options.child.env } : (this.#options.env ?? process.env)),
        cwd: this.#options.cwd,
        maxMessageSize: this.#options.maxMessageSize,
        poolWorker: true,
        stdout: this.#options.stdout,
      },
      {
        frame: (kind, frameId, payload) => {
          try {
            this.#onFrame(slot, kind, frameId, payload);
          } catch {
            // Whatever bytes made handling throw came from the child: it is stopped, and its jobs
            // are settled by the exit rules, rather than the parent crashing.
            slot.proc.kill('protocol');
          }
        },
        exit: (code, signal, error) => this.#onExit(slot, code, signal, error),
      },
    );
    this.#slots.add(slot);
    this.#ledger.counts.spawned++;
    const startTimeout = this.#options.startTimeout;
    if (startTimeout > 0) {
      // Without it a module load or init() that never ends (a sync loop, a lost promise) would
      // hold its jobs forever: the job timeout only starts once a job reaches a ready worker.
      slot.startTimer = setTimeout(() => {
        slot.startTimer = undefined;
        if (slot.state !== 'starting') return;
        this.#startFailed(slot, new WorkerInitError(`The worker module ${this.#options.workerUrl} was not ready within ${startTimeout} ms ("startTimeout"): its module load or init() hangs.`));
        slot.proc.reason = 'init-failure';
        slot.proc.kill('init-failure');
      }, startTimeout);
      // Never the reason the parent stays alive: the child's own handles decide that.
      slot.startTimer.unref();
    }
    slot.proc.setRef(this.#active);
    slot.proc.sendValue(Kind.INIT, 0, {
      workerId: id,
      initData: this.#options.initData,
      maxMessageSize: this.#options.maxMessageSize,
      reportRss: this.#options.maxMemoryPerWorker > 0,
      reclaimAtOnce: sendAheadDepth(this.#serviceMs, this.#options.prefetch) > 1,
    });
    this.#hooks.workerSpawn({ workerId: id, pid: slot.proc.pid });
    if (diagnostics.workerSpawn.hasSubscribers) diagnostics.workerSpawn.publish({ workerId: id, pid: slot.proc.pid });
  }

  #startFailed(slot: WorkerSlot, error: WorkerInitError): void {
    if (slot.startFailureCounted) return;
    slot.startFailureCounted = true;
    const giveUp = this.#policy.moduleFault();
    const serving = [...this.#slots].some((s) => s.state === 'ready');
    if (giveUp && !serving) this.#break(error);
  }

  /** Too many failed starts in a row with no worker serving: fail the queued and future jobs. */
  #break(error: WorkerInitError): void {
    const broken = new WorkerInitError(
      `The worker module failed to start ${this.#policy.faults} times in a row; the pool gave up. Last error: ${(error.cause as Error | undefined)?.message ?? error.message}`,
      error.cause ?? error,
    );
    this.#broken = broken;
    this.#clearSpawnTimer();
    this.#failWaiting(broken);
    for (const slot of this.#slots) if (slot.state === 'starting') slot.proc.kill('init-failure');
    this.#hooks.error(broken);
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(broken);
    this.#idleSoon();
    this.#roomMaybe();
    this.#checkClosed();
  }

  /** Settles every job that is not on a worker (queued or waiting to be retried). */
  #failWaiting(error: Error): void {
    for (const job of this.#queue.drain()) this.#finish(job, false, error);
    for (const job of this.#retrying) this.#finish(job, false, error);
    this.#retrying.clear();
  }

  /** No new jobs; exits once its jobs are done. */
  #retireGracefully(slot: WorkerSlot, reason: ExitReason): void {
    if (slot.state === 'retiring' || slot.state === 'exited') return;
    slot.state = 'retiring';
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    slot.proc.shutdown(reason, this.#options.killTimeout);
  }

  /**
   * Stops a worker whose running job was abandoned. The jobs waiting behind it are asked back
   * (RELEASE) and requeued when the child lets go of them, or when it is gone: never while the
   * child might still run them, so that none runs twice.
   */
  #retireNow(slot: WorkerSlot, reason: ExitReason, job: Job, error: Error): void {
    if (slot.state === 'exited') return;
    slot.state = 'retiring';
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    slot.proc.terminate(reason, this.#options.killTimeout, { jobId: job.id, payload: encodeValue(toErrorRecord(error)) });
    for (const waiting of slot.inflight.slice(1)) {
      if (waiting.settled || waiting.releasing) continue;
      this.#askBack(slot, waiting);
    }
    this.#ensureWorkers();
  }

  #onExit(slot: WorkerSlot, exitCode: number | null, signal: NodeJS.Signals | null, error: Error | undefined): void {
    const phase = slot.wasReady ? 'ready' : 'starting';
    clearStartTimer(slot);
    slot.state = 'exited';
    this.#slots.delete(slot);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    if (slot.askBackTimer) clearTimeout(slot.askBackTimer);
    this.#callbacks.forget(slot.proc);
    const jobs = slot.inflight;
    slot.inflight = [];
    const neverAnswered = jobs.map((job) => ({ id: job.id, settled: job.settled }));
    for (const job of jobs) {
      if (job.timer) clearTimeout(job.timer);
      job.timer = undefined;
      job.worker = undefined;
      job.releasing = false;
      job.armed = false;
      if (job.settled) releasePayload(job);
    }
    const unanswered = jobs.filter((job) => !job.settled);
    const verdict = classifyExit({
      phase,
      requested: slot.proc.reason,
      exitCode,
      signal,
      spawnFailed: error !== undefined && slot.proc.pid === undefined,
      goodbye: slot.goodbye,
      served: slot.served,
      unanswered: neverAnswered,
    });
    const counts = this.#ledger.counts;
    counts.exited++;
    if (verdict.reason === 'crash') counts.crashed++;
    if (verdict.reason === 'killed') counts.killed++;
    if (verdict.externalKill && !this.#forced) this.#policy.externalKill();
    if (verdict.moduleFault && !this.#forced) {
      this.#startFailed(slot, new WorkerInitError(`The worker process ${describeStartFailure(phase, slot, exitCode, signal, error)}`, error));
    }
    const requeue: Job[] = [];
    for (const job of unanswered) {
      if (job.id === verdict.charged) this.#charge(slot, job, exitCode, signal);
      else {
        if (verdict.requeue === 'suspects') job.suspect = true;
        requeue.push(job);
      }
    }
    this.#queue.unshift(...requeue);
    const exit: WorkerExitEvent = { workerId: slot.id, pid: slot.proc.pid, exitCode, signal, reason: verdict.reason };
    if (slot.teardownError) exit.teardownError = slot.teardownError;
    this.#hooks.workerExit(exit);
    if (diagnostics.workerExit.hasSubscribers) diagnostics.workerExit.publish(exit);
    if (this.#broken) this.#failWaiting(this.#broken);
    this.#ensureWorkers();
    this.#pump();
    this.#checkClosed();
  }

  /** The job this exit is charged to: its timeout if its time ran out, else an attempt. */
  #charge(slot: WorkerSlot, job: Job, exitCode: number | null, signal: NodeJS.Signals | null): void {
    if (slot.timedOut) {
      this.#ledger.counts.timedOut++;
      this.#finish(job, false, new JobTimeoutError(job.timeout));
      return;
    }
    job.attempts++;
    if (job.attempts > this.#options.maxRetries || this.#forced) {
      this.#finish(job, false, new WorkerCrashedError({ exitCode, signal, pid: slot.proc.pid, stderr: slot.proc.stderrTail, attempts: job.attempts }));
      return;
    }
    this.#ledger.counts.retried++;
    // It runs alone from now on, until it answers: a later hard death is then charged to it, never
    // taken for one among several (which would re-run it uncharged, again and again, under a storm
    // of external kills). A crash retry backs off: a job that kills its worker at once must not
    // spin a respawn loop.
    job.suspect = true;
    this.#retrying.add(job);
    job.retryTimer = setTimeout(() => {
      job.retryTimer = undefined;
      if (!this.#retrying.delete(job)) return;
      if (this.#broken) {
        this.#finish(job, false, this.#broken);
        return;
      }
      this.#queue.unshift(job);
      this.#ensureWorkers();
      this.#pump();
      this.#checkClosed();
    }, this.#policy.retryDelay(job.attempts));
  }

  // ---------------------------------------------------------------- closing

  close(force: boolean): Promise<void> {
    this.#closing = true;
    // Until every child is reaped, the caller awaiting close() must keep the process alive.
    this.#closeHold = 1;
    this.#setActive(true);
    this.#closed ??= new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    if (force && !this.#forced) {
      this.#forced = true;
      this.#clearSpawnTimer();
      const closed = () => new PoolClosedError('The pool was closed with { force: true } before the job finished.');
      for (const job of this.#queue.drain()) this.#finish(job, false, closed());
      for (const job of this.#retrying) this.#finish(job, false, closed());
      this.#retrying.clear();
      for (const slot of this.#slots) {
        for (const job of slot.inflight) this.#finish(job, false, closed());
        slot.inflight = [];
        slot.state = 'retiring';
        slot.proc.kill('force');
      }
    } else {
      for (const slot of this.#slots) {
        if (slot.state === 'ready' && slot.inflight.length === 0 && this.queued === 0) this.#retireGracefully(slot, 'shutdown');
        if (slot.state === 'starting' && this.queued === 0) {
          slot.state = 'retiring';
          slot.proc.shutdown('shutdown', this.#options.killTimeout);
        }
      }
      this.#ensureWorkers();
    }
    this.#checkClosed();
    return this.#closed;
  }

  #checkClosed(): void {
    if (!this.#closing || this.#slots.size > 0) return;
    if (this.queued > 0 && !this.#forced && !this.#broken) return;
    this.#clearSpawnTimer();
    this.#callbacks.clear();
    this.#closeHold = 0;
    this.#resolveClosed?.();
  }

  stats(): PoolStats {
    return poolStats(this.#slots, this.queued, this.#ledger.counts, { runTime: this.#runTime, waitTime: this.#waitTime });
  }

  /** Resolves once `minWorkers` workers are ready; rejects with ERR_WORKER_INIT if the pool gives up. */
  ready(): Promise<void> {
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.#readyCount() >= this.#options.minWorkers) return Promise.resolve();
    if (this.#closing) return Promise.reject(new PoolClosedError());
    // Someone awaits the workers: they keep the process alive until then.
    this.#setActive(true);
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  #readyCount(): number {
    let ready = 0;
    for (const slot of this.#slots) if (slot.state === 'ready') ready++;
    return ready;
  }

  #settleReady(): void {
    if (this.#readyWaiters.length === 0 || this.#readyCount() < this.#options.minWorkers) return;
    for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
    this.#idleSoon();
  }

  /** A running job's `ctx.progress(value)`: to its onProgress, then the pool's `progress` event. */
  #onProgress(slot: WorkerSlot, jobId: number, payload: Buffer): void {
    const job = slot.inflight.find((candidate) => candidate.id === jobId);
    if (!job || job.settled) return;
    const value = decodeValue(payload);
    if (job.onProgress) {
      try {
        job.onProgress(value);
      } catch (error) {
        // The caller's callback threw: surface it as an uncaught error would, the pool unharmed.
        process.nextTick(() => {
          throw error;
        });
      }
    }
    this.#hooks.progress({ jobId, value });
  }

  /** The pids of the live worker processes (for tests and diagnostics). */
  pids(): number[] {
    return [...this.#slots].map((slot) => slot.proc.pid).filter((pid): pid is number => pid !== undefined);
  }
}

function describeStartFailure(phase: 'starting' | 'ready', slot: WorkerSlot, exitCode: number | null, signal: NodeJS.Signals | null, error: Error | undefined): string {
  const how =
    slot.proc.reason === 'protocol'
      ? 'wrote bytes that are not forkpool frames to its channel'
      : error ? `could not be spawned (${error.message})` : signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
  const when = phase === 'starting' ? 'before it was ready' : 'after it was ready, before it finished any job';
  const stderr = slot.proc.stderrTail;
  return `${how} ${when}.${stderr ? `\nLast stderr lines:\n${stderr}` : ''}`;
}

/** An error record from the child, rebuilt (a record that cannot be is reported as it came). */
function errorFrom(payload: Buffer): Error {
  try {
    const error = fromErrorRecord(decodeValue(payload) as ErrorRecord);
    return error instanceof Error ? error : new Error(String(error));
  } catch (error) {
    return error as Error;
  }
}

function clearStartTimer(slot: WorkerSlot): void {
  if (slot.startTimer) clearTimeout(slot.startTimer);
  slot.startTimer = undefined;
}
