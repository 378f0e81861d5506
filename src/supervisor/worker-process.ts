import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { encodeValue, TAG_JSON } from '../channel/codec.js';
import { FrameReader, FrameWriter } from '../channel/frames.js';
import { isChildKind, Kind, type KindCode } from '../channel/messages.js';
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
  | 'force';

export interface SpawnSpec {
  /** argv after the Node binary and its flags: the entry script and its arguments. */
  args: string[];
  execArgv: string[];
  env: NodeJS.ProcessEnv | undefined;
  cwd: string | undefined;
  maxMessageSize: number;
  /** Where the child's stdout goes ('stderr': piped and written to process.stderr, like its stderr). @default 'inherit' */
  stdout?: 'inherit' | 'stderr' | 'ignore';
}

export interface WorkerProcessEvents {
  frame(kind: KindCode, id: number, payload: Buffer): void;
  /** The channel carried bytes that are not frames: the process is killed. */
  garbage(error: Error): void;
  /** The process is gone and reaped; stderr has been read to its end (or for a short while). */
  exit(exitCode: number | null, signal: NodeJS.Signals | null, error: Error | undefined): void;
}

/** How long to wait for stderr to reach its end after the process exited. */
const STDERR_LINGER_MS = 100;
/** How long a child told to shut down may take before it is terminated. */
const SHUTDOWN_GRACE_MS = 1000;
/** After a child closes its channel unasked, how long it has to exit by itself before SIGKILL. */
const CHANNEL_CLOSED_GRACE_MS = 500;
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
    this.child = spawn(node.command, [...node.prefix, ...spec.execArgv, ...spec.args], {
      cwd: spec.cwd,
      env: { ...(spec.env ?? process.env), ...node.env },
      stdio: ['ignore', spec.stdout === 'stderr' ? 'pipe' : (spec.stdout ?? 'inherit'), 'pipe', 'pipe'],
      windowsHide: true,
    });
    const channel = this.child.stdio[3] as Socket | null;
    if (channel) {
      this.#channel = channel;
      this.#writer = new FrameWriter(channel);
      // The parent checks sizes when sending; on receipt it only guards against garbage.
      const reader = new FrameReader((kind, id, payload) => {
        try {
          events.frame(kind, id, payload);
        } catch (error) {
          // A bug in a handler (or a throwing user listener it called) is not the child's fault:
          // it must neither kill this worker as "garbage" nor stop the frames after it.
          process.nextTick(() => {
            throw error;
          });
        }
      }, undefined, isChildKind);
      // Frames written just before the child exited (a prefork child's FINAL, a last result) may be
      // read after the 'exit' event: they count until the exit is reported.
      let garbled = false;
      channel.on('data', (chunk: Buffer) => {
        if (this.#exitReported || garbled) return;
        try {
          reader.push(chunk);
        } catch (error) {
          garbled = true;
          this.reason ??= 'protocol';
          events.garbage(error as Error);
          this.kill();
        }
      });
      // EPIPE and ECONNRESET after a crash are expected; the exit event reports the crash.
      channel.on('error', () => undefined);
      // A child that closed its end of the channel can never answer again. It may be exiting (a
      // crash closes fds before the exit is seen), so give it a moment before calling it broken.
      channel.once('end', () => {
        if (this.#exited || this.reason !== undefined) return;
        this.#killTimers.push(
          setTimeout(() => {
            this.reason ??= 'protocol';
            this.kill();
          }, CHANNEL_CLOSED_GRACE_MS),
        );
      });
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

  send(kind: KindCode, id: number, payload: Buffer): void {
    // After the exit nothing is sent (the writer is closed).
    if (!this.#writer || this.#exited) return;
    this.#writer.send(kind, id, payload);
  }

  /** Sends a JSON-encoded value written straight into the frame batch. */
  sendText(kind: KindCode, id: number, text: string): void {
    if (!this.#writer || this.#exited) return;
    this.#writer.sendText(kind, id, TAG_JSON, text);
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
    try {
      this.child.kill(signal);
    } catch {
      // Already gone: the exit event follows.
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
    this.#events.exit(code, signal, error);
  }
}
