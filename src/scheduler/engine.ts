import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { decodeValue, encodeValue, encodeValueParts, jsonBytes, jsonText } from '../channel/codec.js';
import { fromErrorRecord, toErrorRecord, type ErrorRecord } from '../channel/error-wire.js';
import { Kind, type KindCode } from '../channel/messages.js';
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
} from '../errors.js';
import type { NormalizedOptions } from '../options.js';
import { WorkerProcess, type ExitReason } from '../supervisor/worker-process.js';
import { withAllocatorEnv } from '../supervisor/allocator-env.js';
import { Fifo } from '../queue/fifo.js';
import { CallbackService } from './callbacks.js';
import { releasePayload, settle, type Job } from './job.js';
import { StagingBuffers } from '../channel/staging.js';
import { takeAnswered, type WorkerSlot } from './slot.js';

const CHILD_ENTRY = fileURLToPath(new URL('../child/main.js', import.meta.url));

/** Back-off between failed worker starts: 100 ms, doubling, at most 2 s. */
const START_BACKOFF_MS = 100;
const START_BACKOFF_MAX_MS = 2000;
/** Workers booting at once, and the pace of further starts (see ensureWorkers). */
const SPAWN_CONCURRENCY = Math.max(2, availableParallelism());
const STAGGER_MS = 100;
/**
 * Jobs are sent ahead to a busy worker only when they are known to be short: a long job ahead
 * would make them wait while another worker idles (a synchronous job cannot even be asked to give
 * them back). Below FAST_JOB_MS of average service time the full `prefetch` applies.
 */
const FAST_JOB_MS = 0.25;
const MEDIUM_JOB_MS = 2;
/** Binary jobs at least this big are snapshotted into reused buffers rather than fresh ones. */
const STAGE_JOBS_FROM = 64 * 1024;

export interface WorkerSpawnEvent {
  workerId: number;
  pid: number | undefined;
}

export interface WorkerExitEvent {
  workerId: number;
  pid: number | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Why it ended: `crash` when it ended by itself mid-life, otherwise why forkpool ended it. */
  reason: ExitReason;
}

export interface EngineHooks {
  workerSpawn(event: WorkerSpawnEvent): void;
  workerExit(event: WorkerExitEvent): void;
  error(error: Error): void;
  /** There is room in the queue again (below maxQueue), or it emptied. */
  drain(): void;
}

export interface RunOptions {
  /** This job's time limit in ms (0 = none); overrides the pool's `timeout`. */
  timeout?: number;
  /** Cancels the job: a queued job is dropped, a running one's worker is stopped and replaced. */
  signal?: AbortSignal;
}

export interface PoolStats {
  /** Live worker processes (starting, serving or retiring). */
  workers: number;
  starting: number;
  idle: number;
  busy: number;
  /** Jobs waiting to start: in the pool's queue or sent ahead to a busy worker. */
  queued: number;
  /** Jobs running now (at most one per worker). */
  running: number;
  submitted: number;
  completed: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  retried: number;
  crashed: number;
  spawned: number;
  exited: number;
}

/**
 * The scheduler and supervisor behind `Pool`: queue, dispatch (with prefetch and work stealing),
 * timeouts, cancellation, retries, respawn with back-off, recycling and shutdown.
 * Invariant: every submitted job settles exactly once, and every spawned child is reaped.
 */
export class PoolEngine {
  readonly #options: NormalizedOptions;
  readonly #hooks: EngineHooks;
  readonly #callbacks: CallbackService;
  readonly #queue = new Fifo<Job>();
  readonly #snapshots = new StagingBuffers({ roundUp: false });
  readonly #slots = new Set<WorkerSlot>();
  #nextJobId = 1;
  #nextWorkerId = 1;
  #closing = false;
  #forced = false;
  #broken: WorkerInitError | undefined;
  #startFailures = 0;
  #spawnNotBefore = 0;
  /** One timer for "spawn again later" (start back-off or staggered starts), due at #spawnTimerAt. */
  #spawnTimer: NodeJS.Timeout | undefined;
  #spawnTimerAt = 0;
  #lastSpawnAt = 0;
  #closed: Promise<void> | undefined;
  #resolveClosed: (() => void) | undefined;
  #unsettled = 0;
  #active = true;
  #idleCheck: NodeJS.Immediate | undefined;
  /** Moving average of job service time (ms), measured from start to answer; NaN until known. */
  #serviceMs = Number.NaN;
  readonly #stats = { submitted: 0, completed: 0, failed: 0, timedOut: 0, cancelled: 0, retried: 0, crashed: 0, spawned: 0, exited: 0 };

  constructor(options: NormalizedOptions, hooks: EngineHooks) {
    this.#options = options;
    this.#hooks = hooks;
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
    return this.#queue.length;
  }

  /** How many more jobs are accepted now before ERR_QUEUE_FULL. */
  room(): number {
    let free = 0;
    for (const slot of this.#slots) if (slot.state === 'ready' && slot.inflight.length === 0 && !slot.recycle) free++;
    return this.#options.maxQueue - this.#queue.length + free;
  }

  /** Submits one job; the promise settles exactly once. */
  submit(input: unknown, options: RunOptions = {}): Promise<unknown> {
    if (this.#closing) return Promise.reject(new PoolClosedError());
    const timeout = options.timeout === undefined ? this.#options.timeout : options.timeout;
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 0) {
      return Promise.reject(new InvalidOptionError('timeout', `expected an integer >= 0 (ms), got ${String(timeout)}.`));
    }
    const signal = options.signal;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      return Promise.reject(new InvalidOptionError('signal', 'expected an AbortSignal.'));
    }
    if (signal?.aborted) return Promise.reject(new AbortError(signal.reason));
    if (this.#broken) return Promise.reject(this.#broken);
    if (this.room() <= 0) {
      return Promise.reject(new QueueFullError(this.#options.maxQueue));
    }
    // A plain JSON job is kept as text and written straight into the frame batch (no Buffer each).
    let payload: Buffer | string;
    let release: (() => void) | undefined;
    try {
      const staged = this.#stageBinary(input);
      if (staged) ({ bytes: payload, release } = staged);
      else payload = this.#encodeJob(input);
    } catch (error) {
      return Promise.reject(new UnserializableError('job', error));
    }
    if (typeof payload !== 'string' && payload.length > this.#options.maxMessageSize) {
      release?.();
      return Promise.reject(new MessageTooLargeError('job', payload.length, this.#options.maxMessageSize));
    }
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: this.#nextJobId++,
        input,
        payload,
        releasePayload: release,
        timeout,
        attempts: 0,
        settled: false,
        worker: undefined,
        releasing: false,
        timer: undefined,
        startedAt: 0,
        resolve,
        reject,
        detach: undefined,
      };
      if (this.#nextJobId > 0xfffffff0) this.#nextJobId = 1;
      if (signal) {
        const onAbort = () => this.#cancel(job, signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        job.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.#stats.submitted++;
      this.#unsettled++;
      this.#setActive(true);
      this.#queue.push(job);
      this.#pump();
      this.#ensureWorkers();
    });
  }

  #encodeJob(input: unknown): Buffer | string {
    const text = jsonText(input);
    if (text === undefined) return encodeValue(input);
    // UTF-8 is at most 3 bytes per UTF-16 unit: only a long text needs its size measured, as bytes.
    return text.length * 3 < this.#options.maxMessageSize ? text : jsonBytes(text);
  }

  /** A big Buffer/Uint8Array job is snapshotted into a reused buffer (see StagingBuffers). */
  #stageBinary(input: unknown): { bytes: Buffer; release: () => void } | undefined {
    if (!(input instanceof Uint8Array) || input.byteLength < STAGE_JOBS_FROM) return undefined;
    const parts = encodeValueParts(input);
    if (parts[1] !== input) return undefined;
    return this.#snapshots.copy(parts, parts[0].length + input.byteLength);
  }

  // ---------------------------------------------------------------- settling

  #finish(job: Job, ok: boolean, value: unknown): void {
    if (!settle(job, ok, value)) return;
    if (ok) this.#stats.completed++;
    else this.#stats.failed++;
    if (--this.#unsettled === 0) this.#idleSoon();
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
      if (this.#unsettled === 0) this.#setActive(false);
    });
  }

  /** Keeps the parent's event loop alive only while there is work: an idle pool never holds the process open. */
  #setActive(active: boolean): void {
    if (this.#active === active) return;
    this.#active = active;
    for (const slot of this.#slots) setRef(slot.proc, active);
  }

  #cancel(job: Job, reason: unknown): void {
    if (job.settled) return;
    this.#stats.cancelled++;
    const slot = job.worker;
    if (!slot) {
      this.#queue.remove(job);
      // A queued job has no write pending: a worker it was sent to before released it, or died.
      releasePayload(job);
      this.#finish(job, false, new AbortError(reason));
      this.#hooks.drain();
      return;
    }
    const running = slot.inflight[0] === job;
    this.#finish(job, false, new AbortError(reason));
    if (running) {
      this.#retireNow(slot, 'cancel', job, new AbortError(reason));
    } else if (!job.releasing) {
      // Not started: take it back; it stays a ghost until the child confirms.
      job.releasing = true;
      slot.proc.sendValue(Kind.RELEASE, job.id, undefined);
    }
  }

  // ---------------------------------------------------------------- dispatch

  #pump(): void {
    while (this.#queue.length > 0) {
      const slot = this.#leastLoaded();
      if (!slot) break;
      const job = this.#queue.shift() as Job;
      this.#dispatch(slot, job);
    }
    if (this.#queue.length < this.#options.maxQueue) this.#hooks.drain();
  }

  /** How many jobs one worker may hold, from how long jobs have been taking. */
  #depth(): number {
    const ms = this.#serviceMs;
    if (!(ms < MEDIUM_JOB_MS)) return 1;
    return ms < FAST_JOB_MS ? this.#options.prefetch : Math.min(4, this.#options.prefetch);
  }

  #leastLoaded(): WorkerSlot | undefined {
    let best: WorkerSlot | undefined;
    const depth = this.#depth();
    for (const slot of this.#slots) {
      if (slot.state !== 'ready' || slot.recycle) continue;
      const load = slot.inflight.length;
      if (load >= depth) continue;
      if (this.#options.maxJobsPerWorker > 0 && slot.dispatched >= this.#options.maxJobsPerWorker) continue;
      if (!best || load < best.inflight.length) {
        best = slot;
        if (load === 0) break;
      }
    }
    return best;
  }

  #dispatch(slot: WorkerSlot, job: Job): void {
    if (slot.idleTimer) {
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
    }
    job.worker = slot;
    slot.inflight.push(job);
    slot.dispatched++;
    if (typeof job.payload === 'string') slot.proc.sendText(Kind.JOB, job.id, job.payload);
    else slot.proc.send(Kind.JOB, job.id, job.payload);
    if (slot.inflight.length === 1) this.#armHead(slot);
  }

  /** The head job is the one running: its time limit starts now. */
  #armHead(slot: WorkerSlot): void {
    const head = slot.inflight[0];
    if (!head || head.startedAt !== 0) return;
    head.startedAt = performance.now();
    if (head.settled) {
      if (slot.state === 'ready') this.#stopGhost(slot, head);
      return;
    }
    if (head.timeout === 0) return;
    head.timer = setTimeout(() => {
      head.timer = undefined;
      if (head.settled || slot.inflight[0] !== head) return;
      this.#stats.timedOut++;
      const error = new JobTimeoutError(head.timeout);
      this.#finish(head, false, error);
      this.#retireNow(slot, 'timeout', head, error);
    }, head.timeout);
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

  /** An idle worker takes back a not-yet-started job from the busiest worker. */
  #steal(): void {
    let victim: WorkerSlot | undefined;
    let most = 1;
    for (const slot of this.#slots) {
      if (slot.state !== 'ready') continue;
      const waiting = slot.inflight.length - 1;
      if (waiting >= most) {
        const tail = slot.inflight[slot.inflight.length - 1] as Job;
        if (tail.releasing || tail.settled) continue;
        victim = slot;
        most = waiting;
      }
    }
    if (!victim) return;
    const tail = victim.inflight[victim.inflight.length - 1] as Job;
    tail.releasing = true;
    victim.proc.sendValue(Kind.RELEASE, tail.id, undefined);
  }

  // ---------------------------------------------------------------- frames from a worker

  #onFrame(slot: WorkerSlot, kind: KindCode, id: number, payload: Buffer): void {
    switch (kind) {
      case Kind.RESULT:
      case Kind.JOB_ERROR:
        this.#onAnswer(slot, id, kind === Kind.RESULT, payload);
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

  #onReady(slot: WorkerSlot): void {
    if (slot.state !== 'starting') return;
    clearStartTimer(slot);
    slot.state = 'ready';
    this.#pump();
    this.#afterJob(slot);
    // One boot slot is free: start the next worker if the pool is still filling.
    this.#ensureWorkers();
  }

  #onInitError(slot: WorkerSlot, payload: Buffer): void {
    let cause: unknown;
    try {
      cause = fromErrorRecord(decodeValue(payload) as ErrorRecord);
    } catch (error) {
      cause = error;
    }
    const message = cause instanceof Error ? cause.message : String(cause);
    this.#startFailed(slot, new WorkerInitError(`The worker module ${this.#options.workerUrl} failed to start: ${message}`, cause));
    // A child whose start failed is killed, never reused: its module state is unknown.
    slot.proc.kill('init-failure');
  }

  #onAnswer(slot: WorkerSlot, id: number, ok: boolean, payload: Buffer): void {
    const taken = takeAnswered(slot, id);
    if (!taken) return;
    const { job, index } = taken;
    if (!slot.served) {
      // A worker that answers is healthy: failed starts before it no longer count in a row.
      slot.served = true;
      this.#startFailures = 0;
    }
    if (index === 0 && job.startedAt !== 0) {
      const sample = performance.now() - job.startedAt;
      this.#serviceMs = Number.isNaN(this.#serviceMs) ? sample : this.#serviceMs * 0.9 + sample * 0.1;
    }
    releasePayload(job);
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

  #onReleased(slot: WorkerSlot, id: number): void {
    const job = takeAnswered(slot, id)?.job;
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
    if (this.#closing && this.#queue.length === 0) {
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

  /** Spawns workers up to what the load needs, within min/max and the start back-off. */
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
      const wanted = this.#closing
        ? live === 0 && this.#queue.length > 0 // finish queued work even while closing
        : live < this.#options.minWorkers ||
          (live < this.#options.maxWorkers && this.#queue.length > free + starting);
      if (!wanted) return;
      // Booting Node is CPU-bound: started all at once, N workers on fewer cores are all ready late.
      // Start as many as there are cores, then one more per STAGGER_MS (or as each becomes ready),
      // so the first workers serve sooner while a slow, I/O-bound init still fills the pool quickly.
      if (starting >= SPAWN_CONCURRENCY && this.#notBefore(this.#lastSpawnAt + STAGGER_MS)) return;
      // While starts fail, one at a time and no faster than the back-off.
      if (this.#startFailures > 0 && (starting > 0 || this.#notBefore(this.#spawnNotBefore))) return;
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
    } as unknown as WorkerSlot;
    slot.proc = new WorkerProcess(
      {
        args: this.#options.child?.args ?? [CHILD_ENTRY, this.#options.workerUrl],
        execArgv: this.#options.execArgv,
        env: withAllocatorEnv(this.#options.child ? { ...(this.#options.env ?? process.env), ...this.#options.child.env } : (this.#options.env ?? process.env)),
        cwd: this.#options.cwd,
        maxMessageSize: this.#options.maxMessageSize,
        stdout: this.#options.stdout,
      },
      {
        frame: (kind, frameId, payload) => this.#onFrame(slot, kind, frameId, payload),
        garbage: () => undefined,
        exit: (code, signal, error) => this.#onExit(slot, code, signal, error),
      },
    );
    this.#slots.add(slot);
    this.#stats.spawned++;
    const startTimeout = this.#options.startTimeout;
    if (startTimeout > 0) {
      // Without it a module load or init() that never ends (a sync loop, a lost promise) would
      // hold its jobs forever: the job timeout only starts once a job reaches a ready worker.
      slot.startTimer = setTimeout(() => {
        slot.startTimer = undefined;
        if (slot.state !== 'starting') return;
        this.#startFailed(slot, new WorkerInitError(`The worker module ${this.#options.workerUrl} was not ready within ${startTimeout} ms ("startTimeout"): its module load or init() hangs.`));
        slot.proc.kill('init-failure');
      }, startTimeout);
      // Never the reason the parent stays alive: the child's own handles decide that.
      slot.startTimer.unref();
    }
    setRef(slot.proc, this.#active);
    slot.proc.sendValue(Kind.INIT, 0, {
      workerId: id,
      initData: this.#options.initData,
      maxMessageSize: this.#options.maxMessageSize,
      reportRss: this.#options.maxMemoryPerWorker > 0,
    });
    this.#hooks.workerSpawn({ workerId: id, pid: slot.proc.pid });
  }

  #startFailed(slot: WorkerSlot, error: WorkerInitError): void {
    if (slot.startFailureCounted) return;
    slot.startFailureCounted = true;
    this.#startFailures++;
    this.#spawnNotBefore = Date.now() + Math.min(START_BACKOFF_MS * 2 ** (this.#startFailures - 1), START_BACKOFF_MAX_MS);
    const serving = [...this.#slots].some((s) => s.state === 'ready');
    if (this.#startFailures >= this.#options.maxStartFailures && !serving) this.#break(error);
  }

  /** Too many failed starts in a row with no worker serving: fail the queued and future jobs. */
  #break(error: WorkerInitError): void {
    const broken = new WorkerInitError(
      `The worker module failed to start ${this.#startFailures} times in a row; the pool gave up. Last error: ${(error.cause as Error | undefined)?.message ?? error.message}`,
      error.cause ?? error,
    );
    this.#broken = broken;
    this.#clearSpawnTimer();
    for (const job of this.#queue.drain()) this.#finish(job, false, broken);
    for (const slot of this.#slots) if (slot.state === 'starting') slot.proc.kill('init-failure');
    this.#hooks.error(broken);
    this.#hooks.drain();
    this.#checkClosed();
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
      waiting.releasing = true;
      slot.proc.sendValue(Kind.RELEASE, waiting.id, undefined);
    }
    this.#ensureWorkers();
  }

  #onExit(slot: WorkerSlot, exitCode: number | null, signal: NodeJS.Signals | null, error: Error | undefined): void {
    const wasStarting = slot.state === 'starting';
    clearStartTimer(slot);
    slot.state = 'exited';
    this.#slots.delete(slot);
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    this.#stats.exited++;
    const reason: ExitReason = slot.proc.reason ?? (wasStarting ? 'init-failure' : 'crash');
    if (reason === 'crash') this.#stats.crashed++;
    this.#callbacks.forget(slot.proc);
    // A child killed for writing garbage before READY failed its start too: not counting it let a
    // module that always does so be respawned forever, with no back-off and no ERR_WORKER_INIT.
    if (wasStarting && !this.#forced && (slot.proc.reason === undefined || slot.proc.reason === 'protocol')) {
      const how = slot.proc.reason === 'protocol'
        ? 'wrote bytes that are not forkpool frames to its channel (fd 3)'
        : error ? `could not be spawned (${error.message})` : signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
      const stderr = slot.proc.stderrTail;
      this.#startFailed(slot, new WorkerInitError(`The worker process ${how} before it was ready.${stderr ? `\nLast stderr lines:\n${stderr}` : ''}`, error));
    }
    const [head, ...rest] = slot.inflight;
    slot.inflight = [];
    for (const ghost of rest) if (ghost.settled && ghost.timer) clearTimeout(ghost.timer);
    if (head?.settled && head.timer) clearTimeout(head.timer);
    const requeue = rest.filter((job) => !job.settled);
    // A worker that died idle before finishing any job failed its start just the same: without
    // this, a module that always crashes right after READY would be respawned in a tight loop.
    if (!wasStarting && !this.#forced && reason === 'crash' && !slot.served && !(head && !head.settled)) {
      const how = signal ? `was killed by ${signal}` : `exited with code ${exitCode}`;
      const stderr = slot.proc.stderrTail;
      this.#startFailed(slot, new WorkerInitError(`The worker process ${how} after it was ready, before it finished any job.${stderr ? `\nLast stderr lines:\n${stderr}` : ''}`));
    }
    if (head && !head.settled) {
      head.worker = undefined;
      head.startedAt = 0;
      if (head.timer) clearTimeout(head.timer);
      head.timer = undefined;
      head.attempts++;
      if (head.attempts <= this.#options.maxRetries) {
        this.#stats.retried++;
        requeue.unshift(head);
      } else {
        this.#finish(
          head,
          false,
          new WorkerCrashedError({ exitCode, signal, pid: slot.proc.pid, stderr: slot.proc.stderrTail, attempts: head.attempts }),
        );
      }
    }
    for (const job of requeue) {
      job.worker = undefined;
      job.releasing = false;
    }
    this.#queue.unshift(...requeue);
    this.#hooks.workerExit({ workerId: slot.id, pid: slot.proc.pid, exitCode, signal, reason });
    if (this.#broken) for (const job of this.#queue.drain()) this.#finish(job, false, this.#broken);
    this.#ensureWorkers();
    this.#pump();
    this.#checkClosed();
  }

  // ---------------------------------------------------------------- closing

  close(force: boolean): Promise<void> {
    this.#closing = true;
    // Until every child is reaped, the caller awaiting close() must keep the process alive.
    this.#unsettled++;
    this.#setActive(true);
    this.#closed ??= new Promise((resolve) => {
      this.#resolveClosed = resolve;
    });
    if (force && !this.#forced) {
      this.#forced = true;
      this.#clearSpawnTimer();
      const closed = () => new PoolClosedError('The pool was closed with { force: true } before the job finished.');
      for (const job of this.#queue.drain()) this.#finish(job, false, closed());
      for (const slot of this.#slots) {
        for (const job of slot.inflight) this.#finish(job, false, closed());
        slot.inflight = [];
        slot.state = 'retiring';
        slot.proc.kill('force');
      }
    } else {
      for (const slot of this.#slots) {
        if (slot.state === 'ready' && slot.inflight.length === 0 && this.#queue.length === 0) this.#retireGracefully(slot, 'shutdown');
        if (slot.state === 'starting' && this.#queue.length === 0) {
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
    if (this.#queue.length > 0 && !this.#forced && !this.#broken) return;
    this.#clearSpawnTimer();
    this.#callbacks.clear();
    this.#resolveClosed?.();
  }

  stats(): PoolStats {
    let starting = 0;
    let idle = 0;
    let busy = 0;
    let running = 0;
    let prefetched = 0;
    for (const slot of this.#slots) {
      if (slot.state === 'starting') starting++;
      else if (slot.state === 'ready') {
        if (slot.inflight.length === 0) idle++;
        else busy++;
      }
      slot.inflight.forEach((job, index) => {
        if (job.settled) return;
        if (index === 0) running++;
        else prefetched++;
      });
    }
    return { workers: this.#slots.size, starting, idle, busy, queued: this.#queue.length + prefetched, running, ...this.#stats };
  }

  /** The pids of the live worker processes (for tests and diagnostics). */
  pids(): number[] {
    return [...this.#slots].map((slot) => slot.proc.pid).filter((pid): pid is number => pid !== undefined);
  }
}

function clearStartTimer(slot: WorkerSlot): void {
  if (slot.startTimer) clearTimeout(slot.startTimer);
  slot.startTimer = undefined;
}

function setRef(proc: WorkerProcess, ref: boolean): void {
  const handles = [proc.child, proc.child.stdio[2], proc.child.stdio[3]] as Array<{ ref?: () => void; unref?: () => void } | null>;
  for (const handle of handles) {
    if (!handle) continue;
    if (ref) handle.ref?.();
    else handle.unref?.();
  }
}
