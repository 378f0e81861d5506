import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { encodeValue, jsonBytes, TAG_JSON } from '../channel/codec.js';
import { FrameReader, FrameWriter } from '../channel/frames.js';
import { MAX_RUN_BYTES } from '../channel/json-run.js';
import { childKindLimit, frameLimit, reclaimedKindLimit, SMALL_FRAME } from '../channel/limits.js';
import { Kind, type KindCode } from '../channel/messages.js';
import { guardedNode } from './parent-death.js';
import { StderrTail } from './stderr-tail.js';

export type ExitReason =
  | 'shutdown'
  | 'crash'
  | 'timeout'
  | 'cancel'
  | 'recycle'
  | 'memory'
  | 'idle'
  | 'init-failure'
  | 'protocol'
  | 'force'
  | 'killed';

export interface SpawnSpec {
  /** argv after the Node binary and its flags: the entry script and its arguments. */
  args: string[];
  execArgv: string[];
  env: NodeJS.ProcessEnv | undefined;
  cwd: string | undefined;
  /** Largest job or result the parent accepts: a frame longer than it plus its header is refused at the header. */
  maxMessageSize: number;
  /**
   * A pool worker: answers arrive on a second channel (fd 4, see child/sync-sink.ts), and the
   * worker leads its own process group, so that a signal to the parent's group (a terminal,
   * timeout(1), a service manager) reaches only the parent, which decides, and so that the
   * worker's own child processes are stopped with it. A prefork child uses fd 3 both ways and
   * stays in the manager's group, as Perl's forked children do.
   */
  poolWorker?: boolean;
  /** Where the child's stdout goes ('stderr': piped and written to process.stderr, like its stderr). @default 'inherit' */
  stdout?: 'inherit' | 'stderr' | 'ignore';
}

export interface WorkerProcessEvents {
  frame(kind: KindCode, id: number, payload: Buffer): void;
  /** The channel carried bytes that are not frames (the process is killed): what was wrong. */
  garbage?(error: Error): void;
  /** The process is gone and reaped; stderr has been read to its end (or for a short while). */
  exit(exitCode: number | null, signal: NodeJS.Signals | null, error: Error | undefined): void;
}

/** How long to wait for stderr to reach its end after the process exited. */
const STDERR_LINGER_MS = 100;
/** How long a child told to shut down may take before it is terminated. */
const SHUTDOWN_GRACE_MS = 1000;
/**
 * After a child closes its channel unasked, how long it has to exit by itself before SIGKILL: a
 * child that finished closes it on its way out, and on a loaded machine exiting can take a while.
 */
const CHANNEL_CLOSED_GRACE_MS = 2000;
const EMPTY = Buffer.alloc(0);
/** Between the abort message and SIGTERM: time for ctx.signal listeners to run. */
const ABORT_TO_TERM_MS = 50;

/**
 * One child process and its channel: spawn, frames in and out, kill escalation, and one `exit`
 * callback that always comes, whatever way the process ends (spawn failure included).
 */
export class WorkerProcess {
  readonly child: ChildProcess;
  readonly #writer: FrameWriter | undefined;
  readonly #channel: Socket | undefined;
  readonly #input: Socket | undefined;
  /** A pool worker's reclaim channel (fd 5 in the child, see child/reclaim-thread.ts). */
  readonly #reclaim: { socket: Socket; writer: FrameWriter } | undefined;
  readonly #ownGroup: boolean;
  readonly #tail = new StderrTail();
  readonly #events: WorkerProcessEvents;
  #exited = false;
  #exitReported = false;
  #killTimers: NodeJS.Timeout[] = [];
  /** Why forkpool ended this process, when it did; `undefined` means it ended by itself. */
  reason: ExitReason | undefined;

  constructor(spec: SpawnSpec, events: WorkerProcessEvents) {
    this.#events = events;
    const node = guardedNode();
    this.#ownGroup = spec.poolWorker === true && process.platform !== 'win32';
    this.child = spawnChild(node.command, [...node.prefix, ...spec.execArgv, ...spec.args], {
      cwd: spec.cwd,
      env: { ...(spec.env ?? process.env), ...node.env },
      stdio: ['ignore', spec.stdout === 'stderr' ? 'pipe' : (spec.stdout ?? 'inherit'), 'pipe', 'pipe', ...(spec.poolWorker ? ['pipe' as const, 'pipe' as const] : [])],
      windowsHide: true,
      detached: this.#ownGroup,
    });
    // A spawn that failed early (EMFILE while making the pipes) leaves no stdio at all.
    const input = this.child.stdio?.[3] as Socket | null | undefined;
    const channel = (spec.poolWorker ? this.child.stdio?.[4] : input) as Socket | null | undefined;
    if (input && input !== channel) {
      // EPIPE after a crash is expected; the exit event reports the crash.
      input.on('error', () => undefined);
    }
    if (input && channel) {
      this.#channel = channel;
      this.#input = input;
      this.#writer = new FrameWriter(input);
      const deliver = (kind: KindCode, id: number, payload: Buffer): void => {
        try {
          events.frame(kind, id, payload);
        } catch (error) {
          // A bug in a handler (or a throwing user listener it called) is not the child's fault:
          // it must neither kill this worker as "garbage" nor stop the frames after it.
          process.nextTick(() => {
            throw error;
          });
        }
      };
      // Frames written just before the child exited (a prefork child's FINAL, a last result) may be
      // read after the 'exit' event: they count until the exit is reported.
      let garbled = false;
      const garbage = (error: Error) => {
        garbled = true;
        events.garbage?.(error);
        this.reason ??= 'protocol';
        this.kill();
      };
      const readFrames = (socket: Socket, reader: FrameReader): void => {
        socket.on('data', (chunk: Buffer) => {
          if (this.#exitReported || garbled) return;
          try {
            reader.push(chunk);
          } catch (error) {
            garbage(error as Error);
          }
        });
      };
      // The parent checks sizes when sending; on receipt it only guards against garbage.
      readFrames(channel, new FrameReader(deliver, frameLimit(spec.maxMessageSize), childKindLimit));
      const reclaim = (spec.poolWorker ? (this.child.stdio as unknown as Array<Socket | null>)[5] : undefined) as Socket | null | undefined;
      if (reclaim) {
        this.#reclaim = { socket: reclaim, writer: new FrameWriter(reclaim) };
        // RECLAIMED only, from the worker's reclaim thread.
        readFrames(reclaim, new FrameReader(deliver, SMALL_FRAME, reclaimedKindLimit));
        reclaim.on('error', () => undefined);
      }
      // EPIPE and ECONNRESET after a crash are expected; the exit event reports the crash.
      channel.on('error', () => undefined);
      // A child that closed its end of the channel can never answer again. It may be exiting (a
      // crash closes fds before the exit is seen), so give it a moment before calling it broken.
      channel.once('end', this.#channelClosed);
      if (input !== channel) {
        // Nothing may come back on the jobs' channel: bytes there are garbage.
        input.on('data', () => {
          if (this.#exitReported || garbled) return;
          garbage(new Error('bytes on the jobs channel (fd 3), where a worker sends nothing'));
        });
        input.once('end', this.#channelClosed);
      }
    }
    // Through process.stderr (not fd 2 directly), so a parent drawing there (the CLI's progress line) sees it.
    this.child.stdout?.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.#tail.push(chunk);
      process.stderr.write(chunk);
    });
    let spawnError: Error | undefined;
    this.child.on('error', (error) => {
      spawnError = error;
      // A failed spawn emits no 'exit'; report it once here.
      if (this.child.pid === undefined) this.#reportExit(null, null, error);
    });
    this.child.on('exit', (code, signal) => {
      this.#exited = true;
      this.#clearKillTimers();
      this.#writer?.close();
      this.#reclaim?.writer.close();
      // Whatever the worker started and left behind (a job's `sleep 300`) goes with it.
      this.#signalGroup('SIGKILL');
      const report = () => this.#reportExit(code, signal, spawnError);
      // Wait (briefly) for stderr and the channel to be read to their ends.
      const open = [this.child.stdout, this.child.stderr, this.#channel].filter((stream) => stream && !stream.destroyed && !stream.readableEnded);
      if (open.length === 0) report();
      else {
        const linger = setTimeout(report, STDERR_LINGER_MS);
        let left = open.length;
        for (const stream of open) {
          stream?.once('close', () => {
            if (--left > 0) return;
            clearTimeout(linger);
            report();
          });
        }
      }
    });
  }

  /** Keeps the parent's event loop alive while there is work (`true`), or not. */
  setRef(ref: boolean): void {
    const handles = [this.child, this.child.stdout, this.child.stderr, this.#input, this.#channel, this.#reclaim?.socket] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>;
    for (const handle of handles) {
      if (!handle) continue;
      if (ref) handle.ref?.();
      else handle.unref?.();
    }
  }

  /**
   * A child that closed its end of a channel can never answer again. It may be exiting (a crash
   * closes fds before the exit is seen), so give it a moment before calling it broken.
   */
  readonly #channelClosed = (): void => {
    if (this.#exited || this.reason !== undefined) return;
    this.#killTimers.push(
      setTimeout(() => {
        this.reason ??= 'protocol';
        this.kill();
      }, CHANNEL_CLOSED_GRACE_MS),
    );
  };

  get pid(): number | undefined {
    return this.child.pid;
  }

  get exited(): boolean {
    return this.#exited;
  }

  /** The last lines written to stderr. */
  get stderrTail(): string {
    return this.#tail.text();
  }

  /** Queues a frame; a payload in parts (a tag head, then bytes) is written without joining them. */
  send(kind: KindCode, id: number, payload: Buffer | readonly Uint8Array[]): void {
    // After the exit nothing is sent (the writer is closed).
    if (!this.#writer || this.#exited) return;
    this.#writer.send(kind, id, payload);
  }

  /** Sends a job given as JSON text, written straight into the frame batch (with the jobs around it in one JOBS frame when small). */
  sendJobText(id: number, text: string): void {
    if (!this.#writer || this.#exited) return;
    if (!this.#writer.sendInRun(Kind.JOBS, id, text, MAX_RUN_BYTES)) this.#writer.sendText(Kind.JOB, id, TAG_JSON, text);
  }

  /** Sends a named task: its name ahead of the job's codec bytes (see Kind.TASK). */
  sendTask(id: number, name: string, payload: Buffer | string | readonly Uint8Array[]): void {
    const nameBytes = Buffer.from(name, 'utf8');
    const head = Buffer.allocUnsafe(1 + nameBytes.length);
    head[0] = nameBytes.length;
    nameBytes.copy(head, 1);
    const body = typeof payload === 'string' ? [jsonBytes(payload)] : Buffer.isBuffer(payload) ? [payload] : payload;
    this.send(Kind.TASK, id, Buffer.concat([head, ...body]));
  }

  /** Asks the worker's reclaim thread to stop it starting jobs (Kind.RECLAIM); false if it has no reclaim channel. */
  sendReclaim(): boolean {
    if (!this.#reclaim || this.#exited) return false;
    this.#reclaim.writer.send(Kind.RECLAIM, 0, EMPTY);
    return true;
  }

  sendValue(kind: KindCode, id: number, value: unknown): void {
    this.send(kind, id, encodeValue(value));
  }

  /** Asks the child to finish what it was sent and exit. */
  shutdown(reason: ExitReason, killTimeout: number): void {
    this.reason ??= reason;
    this.send(Kind.SHUTDOWN, 0, encodeValue(undefined));
    // An idle child exits at once; one whose event loop is stuck (a module or init() spinning,
    // a timer in a synchronous loop) never reads SHUTDOWN, and close() must not wait on it forever.
    if (!this.#exited) this.#killTimers.push(setTimeout(() => this.terminate(reason, killTimeout), Math.max(killTimeout, SHUTDOWN_GRACE_MS)));
  }

  /** Abort the job's signal, then SIGTERM, then SIGKILL after `killTimeout` ms. */
  terminate(reason: ExitReason, killTimeout: number, abort?: { jobId: number; payload: Buffer }): void {
    this.reason ??= reason;
    if (this.#exited) return;
    if (abort) {
      this.send(Kind.ABORT, abort.jobId, abort.payload);
      this.#writer?.flush();
    }
    this.#killTimers.push(
      setTimeout(() => {
        this.#signal('SIGTERM');
        this.#killTimers.push(setTimeout(() => this.#signal('SIGKILL'), killTimeout));
      }, abort ? ABORT_TO_TERM_MS : 0),
    );
  }

  /** SIGKILL now. */
  kill(reason?: ExitReason): void {
    if (reason) this.reason ??= reason;
    this.#signal('SIGKILL');
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.#exited || this.child.pid === undefined) return;
    if (this.#ownGroup && this.#signalGroup(signal)) return;
    try {
      this.child.kill(signal);
    } catch {
      // Already gone: the exit event follows.
    }
  }

  /** Signals the worker's process group (the worker and what it spawned); false if none is left. */
  #signalGroup(signal: NodeJS.Signals): boolean {
    if (!this.#ownGroup || this.child.pid === undefined) return false;
    try {
      process.kill(-this.child.pid, signal);
      return true;
    } catch {
      return false;
    }
  }

  #clearKillTimers(): void {
    for (const timer of this.#killTimers) clearTimeout(timer);
    this.#killTimers = [];
  }

  #reportExit(code: number | null, signal: NodeJS.Signals | null, error: Error | undefined): void {
    if (this.#exitReported) return;
    this.#exitReported = true;
    this.#exited = true;
    this.#clearKillTimers();
    this.#channel?.destroy();
    this.#input?.destroy();
    this.#reclaim?.socket.destroy();
    this.#events.exit(code, signal, error);
  }
}

/**
 * spawn() throws synchronously for some failures (EMFILE when the fd limit is reached, a bad
 * argument): the caller must see those as the spawn failure they are, through the one `exit`
 * report, never as an exception out of the scheduler.
 */
function spawnChild(command: string, args: string[], options: SpawnOptions): ChildProcess {
  try {
    return spawn(command, args, options);
  } catch (error) {
    return failedChild(error as Error);
  }
}

function failedChild(error: Error): ChildProcess {
  const child = new EventEmitter() as unknown as ChildProcess;
  Object.assign(child, { pid: undefined, stdio: [null, null, null, null, null], stderr: null, stdout: null, stdin: null, kill: () => false });
  process.nextTick(() => child.emit('error', error));
  return child;
}
