import { decodeValue } from '../channel/codec.js';
import { fromErrorRecord, type ErrorRecord } from '../channel/error-wire.js';
import { Kind, type KindCode } from '../channel/messages.js';
import { ProtocolError } from '../errors.js';
import { MAX_MESSAGE_SIZE } from '../options.js';
import { CallbackService } from '../scheduler/callbacks.js';
import { WorkerProcess } from '../supervisor/worker-process.js';
import { Histogram } from '../util/histogram.js';
import { SignalTrap } from './signal-trap.js';
import { signalStatus, STOP_SIGNALS } from './signals.js';
import type { ChildReapEvent, EngineConfig, FinalMessage, PreforkStats, ReapReason } from './types.js';

/** Status of a child stopped by `childTimeout`, as GNU timeout(1) reports it. */
export const TIMEOUT_STATUS = 124;
/** Status of a child that could not be spawned, as a shell reports "command not found". */
export const SPAWN_ERROR_STATUS = 127;
/** The longest a Node timer can wait: keeps a pending start() alive without ever waking up. */
const FOREVER_MS = 2 ** 31 - 1;

interface Child {
  id: number;
  proc: WorkerProcess;
  generation: number;
  final: FinalMessage | undefined;
  timer: NodeJS.Timeout | undefined;
  timedOut: boolean;
  /** Asked to stop because maxWorkers went down. */
  retiring: boolean;
  /** What the child wrote that is not a prefork frame, when it did (it was killed for it). */
  garbage: Error | undefined;
  /** performance.now() at spawn, for its lifetime figure. */
  spawnedAt: number;
}

interface Run {
  promise: Promise<NodeJS.Signals>;
  resolve: (signal: NodeJS.Signals) => void;
  reject: (error: unknown) => void;
}

interface Waiter {
  resolve: (running: number) => void;
  reject: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The prefork manager behind `Prefork` and `PreforkIPC`. Everything is event driven: a child's
 * exit, a frame, a signal or a spawn-delay timer wakes it, so an idle manager uses no CPU.
 *
 * `start()` keeps `maxWorkers` children alive until a trapped signal arrives, then resolves with
 * it. Children are reaped, their callbacks answered and their final payloads collected at all
 * times, also between `start()` calls and while `waitAll()` waits.
 */
export class PreforkEngine {
  readonly #config: EngineConfig;
  readonly #callbacks: CallbackService;
  readonly #trap: SignalTrap;
  readonly #children = new Set<Child>();
  readonly #waiters = new Set<Waiter>();
  #run: Run | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #spawnTimer: NodeJS.Timeout | undefined;
  #noSpawnUntil = 0;
  #generation = 0;
  #nextChildId = 1;
  #signal: NodeJS.Signals | '' = '';
  /** A trapped signal arrived while no start() was running: the next start() returns it at once. */
  #pendingSignal = false;
  /** TERM or INT arrived (or close() was called): no child will start again. */
  #stopped = false;
  #waitCalled = false;

  constructor(config: EngineConfig) {
    this.#config = config;
    this.#callbacks = new CallbackService(config.callbacks, config.callbackTimeout);
    this.#trap = new SignalTrap(config.trapSignals.keys(), (signal) => this.#onSignal(signal));
  }

  /** The last trapped signal received since the current (or last) start() began; '' if none. */
  get signalReceived(): NodeJS.Signals | '' {
    return this.#signal;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get running(): boolean {
    return this.#run !== undefined;
  }

  readonly #lifetime = new Histogram();
  #spawned = 0;
  #reaped = 0;

  /** How many children were spawned and reaped, and how long they lived (spawn to reap). */
  stats(): PreforkStats {
    return { children: this.#children.size, spawned: this.#spawned, reaped: this.#reaped, lifetime: this.#lifetime.summary() };
  }

  /** Children spawned and not yet reaped. */
  get numWorkers(): number {
    return this.#children.size;
  }

  get pids(): number[] {
    return [...this.#children].map((child) => child.proc.pid).filter((pid): pid is number => pid !== undefined);
  }

  get maxWorkers(): number {
    return this.#config.maxWorkers;
  }

  set maxWorkers(value: number) {
    this.#config.maxWorkers = value;
    this.#adjust();
  }

  /**
   * Keeps `maxWorkers` children alive until a trapped signal arrives; resolves with that signal.
   * After TERM or INT it resolves at once and starts nothing.
   */
  start(): Promise<NodeJS.Signals> {
    if (this.#run) return this.#run.promise;
    if (this.#stopped) return Promise.resolve(this.#signal || 'SIGTERM');
    this.#trap.install();
    if (this.#pendingSignal) {
      this.#pendingSignal = false;
      return Promise.resolve(this.#signal || 'SIGTERM');
    }
    this.#signal = '';
    this.#generation++;
    let resolve!: (signal: NodeJS.Signals) => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<NodeJS.Signals>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.#run = { promise, resolve, reject };
    // Signal listeners do not keep Node running; this timer does, and never fires.
    this.#keepAlive = setInterval(() => undefined, FOREVER_MS);
    this.#adjust();
    return promise;
  }

  /** Acts as if `signal` had been received: relays its mapping and ends a running start(). */
  interrupt(signal: NodeJS.Signals): void {
    this.#onSignal(signal);
  }

  /** Sends `signal` to every live child; returns how many were signalled. */
  signalAll(signal: NodeJS.Signals): number {
    let sent = 0;
    for (const child of this.#children) if (sendSignal(child.proc, signal)) sent++;
    return sent;
  }

  /** Waits until every child has been reaped, or `timeoutMs`; resolves with how many still run. Kills nothing. */
  waitAll(timeoutMs?: number): Promise<number> {
    this.#waitCalled = true;
    if (this.#children.size === 0) {
      this.#releaseSignals();
      return Promise.resolve(0);
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      if (timeoutMs !== undefined) {
        waiter.timer = setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve(this.#children.size);
        }, timeoutMs);
      }
      this.#waiters.add(waiter);
    });
  }

  /**
   * Stops for good: ends a running start(), sends SIGTERM to every child (SIGKILL with `force`,
   * or to those still running after `killTimeout`), waits for all of them and removes the
   * signal listeners.
   */
  async close(force: boolean): Promise<void> {
    this.#stopped = true;
    this.#endRun(this.#signal || 'SIGTERM');
    this.signalAll(force ? 'SIGKILL' : 'SIGTERM');
    if (!force && (await this.waitAll(this.#config.killTimeout)) === 0) return;
    this.signalAll('SIGKILL');
    await this.waitAll();
  }

  // ---------------------------------------------------------------- signals

  #onSignal(signal: NodeJS.Signals): void {
    this.#signal = signal;
    if (STOP_SIGNALS.has(signal)) this.#stopped = true;
    const relay = this.#config.trapSignals.get(signal);
    if (relay) this.signalAll(relay);
    if (this.#run) this.#endRun(signal);
    else this.#pendingSignal = true;
  }

  #endRun(signal: NodeJS.Signals, error?: unknown): void {
    const run = this.#run;
    if (!run) return;
    this.#run = undefined;
    clearInterval(this.#keepAlive);
    this.#keepAlive = undefined;
    clearTimeout(this.#spawnTimer);
    this.#spawnTimer = undefined;
    if (error === undefined) run.resolve(signal);
    else run.reject(error);
    this.#releaseSignals();
  }

  /** The listeners stay while a start() runs, between reloads, and until the last child is reaped. */
  #releaseSignals(): void {
    if (this.#run || this.#children.size > 0 || !(this.#stopped || this.#waitCalled)) return;
    this.#trap.remove();
  }

  // ---------------------------------------------------------------- children

  #adjust(): void {
    if (!this.#run || this.#stopped) return;
    const live = [...this.#children].filter((child) => !child.retiring);
    // Too many after maxWorkers went down: ask the oldest to stop, the way a relayed TERM would.
    const stopWith = this.#config.trapSignals.get('SIGTERM') ?? 'SIGTERM';
    for (const child of live.slice(0, Math.max(0, live.length - this.#config.maxWorkers))) {
      child.retiring = true;
      sendSignal(child.proc, stopWith);
    }
    for (let count = Math.min(live.length, this.#config.maxWorkers); count < this.#config.maxWorkers; count++) {
      const wait = this.#noSpawnUntil - Date.now();
      if (wait > 0) {
        this.#spawnTimer ??= setTimeout(() => {
          this.#spawnTimer = undefined;
          this.#adjust();
        }, wait);
        return;
      }
      this.#spawn();
      if (!this.#run || this.#stopped) return;
      if (this.#config.spawnInterval > 0) this.#noSpawnUntil = Date.now() + this.#config.spawnInterval;
    }
  }

  #spawn(): void {
    const config = this.#config;
    if (!this.#hook(() => config.beforeFork?.())) return;
    const child = {
      id: this.#nextChildId++,
      generation: this.#generation,
      final: undefined,
      timer: undefined,
      timedOut: false,
      retiring: false,
      garbage: undefined,
      spawnedAt: performance.now(),
    } as unknown as Child;
    child.proc = new WorkerProcess(
      {
        args: config.args,
        execArgv: config.execArgv,
        env: config.spawnEnv ? { ...(config.env ?? process.env), ...config.spawnEnv() } : config.env,
        maxMessageSize: MAX_MESSAGE_SIZE,
        cwd: config.cwd,
      },
      {
        frame: (kind, id, payload) => this.#onFrame(child, kind, id, payload),
        garbage: (error) => {
          child.garbage ??= new ProtocolError(`The prefork child wrote bytes that are not forkpool frames to its channel (fd 3): ${error.message}.`);
        },
        exit: (code, signal, error) => this.#onExit(child, code, signal, error),
      },
    );
    this.#children.add(child);
    this.#spawned++;
    if (config.childTimeout > 0) {
      child.timer = setTimeout(() => {
        child.timer = undefined;
        child.timedOut = true;
        child.proc.terminate('timeout', config.killTimeout);
      }, config.childTimeout);
    }
    const pid = child.proc.pid;
    if (pid !== undefined) this.#hook(() => config.afterFork?.(pid));
  }

  /** Never throws: whatever a child sends ends in an answer, its final payload, or its being killed. */
  #onFrame(child: Child, kind: KindCode, id: number, payload: Buffer): void {
    // Killed for garbage already: what it sends until it is gone counts for nothing.
    if (child.garbage) return;
    try {
      switch (kind) {
        case Kind.CALLBACK:
          this.#callbacks.handle(child.proc, child.id, id, payload);
          return;
        case Kind.FINAL:
          try {
            child.final = decodeValue(payload) as FinalMessage;
          } catch (error) {
            child.final = { error };
          }
          if (typeof child.final !== 'object' || child.final === null || !('payload' in child.final || 'error' in child.final)) {
            this.#protocolError(child, 'a final message that is neither { payload } nor { error }');
          }
          return;
        default:
          // Only forkpool's child runtime talks on this channel; anything else is a broken child.
          this.#protocolError(child, `a frame of kind ${kind}, which a prefork child never sends`);
      }
    } catch (error) {
      // A callback request so malformed that answering it threw (e.g. a name that is no string).
      this.#protocolError(child, `a frame of kind ${kind} that could not be handled (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  #protocolError(child: Child, what: string): void {
    child.final = undefined;
    child.garbage ??= new ProtocolError(`The prefork child sent ${what}; it was killed.`);
    child.proc.kill('protocol');
  }

  #onExit(child: Child, exitCode: number | null, signal: NodeJS.Signals | null, error: Error | undefined): void {
    clearTimeout(child.timer);
    this.#children.delete(child);
    this.#callbacks.forget(child.proc);
    let reason: ReapReason;
    let status: number;
    if (child.timedOut) [reason, status] = ['timeout', TIMEOUT_STATUS];
    else if (child.garbage) [reason, status] = ['protocol', signal ? signalStatus(signal) : exitCode ?? SPAWN_ERROR_STATUS];
    else if (signal) [reason, status] = ['signal', signalStatus(signal)];
    else if (exitCode === null) [reason, status] = ['spawn-error', SPAWN_ERROR_STATUS];
    else [reason, status] = ['exit', exitCode];
    if (status !== 0 && this.#run && child.generation === this.#generation && this.#config.errRespawnInterval > 0) {
      // A child of the running generation failing slows respawning down instead of looping hot;
      // children stopped by a relayed signal at the end of a start() do not delay the next one.
      this.#noSpawnUntil = Math.max(this.#noSpawnUntil, Date.now() + this.#config.errRespawnInterval);
    }
    const final = child.final;
    const event: ChildReapEvent = {
      pid: child.proc.pid ?? 0,
      status,
      exitCode,
      signal,
      reason,
      finished: final !== undefined,
      payload: final && 'payload' in final ? final.payload : undefined,
      error: child.garbage ?? (final && 'error' in final ? decodeError(final.error) : error),
      generation: child.generation,
      lifetimeMs: performance.now() - child.spawnedAt,
    };
    this.#lifetime.record(event.lifetimeMs);
    this.#reaped++;
    const onChildReap = this.#config.onChildReap;
    if (onChildReap) this.#hook(() => onChildReap(event));
    this.#adjust();
    if (this.#children.size === 0) {
      for (const waiter of this.#waiters) {
        clearTimeout(waiter.timer);
        waiter.resolve(0);
      }
      this.#waiters.clear();
    }
    this.#releaseSignals();
  }

  /** Runs a user hook; what it throws rejects the running start(), else the waiters, else is rethrown. */
  #hook(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (error) {
      if (this.#run) {
        // A broken hook would fail the same way for every child: stop for good, as a TERM would.
        // The running children get the signal a TERM relays (SIGTERM if it relays nothing), the
        // signal listeners go once they are reaped, and nothing keeps the process alive after that.
        this.#stopped = true;
        this.signalAll(this.#config.trapSignals.get('SIGTERM') ?? 'SIGTERM');
        this.#endRun(this.#signal || 'SIGTERM', error ?? new Error('a hook threw undefined'));
      } else if (this.#waiters.size > 0) {
        for (const waiter of this.#waiters) {
          clearTimeout(waiter.timer);
          waiter.reject(error);
        }
        this.#waiters.clear();
      } else {
        process.nextTick(() => {
          throw error;
        });
      }
      return false;
    }
  }
}

function sendSignal(proc: WorkerProcess, signal: NodeJS.Signals): boolean {
  if (proc.exited || proc.pid === undefined) return false;
  try {
    return proc.child.kill(signal);
  } catch {
    return false;
  }
}

function decodeError(error: unknown): unknown {
  if (typeof error === 'object' && error !== null && 'isError' in error && 'props' in error) return fromErrorRecord(error as ErrorRecord);
  return error;
}
