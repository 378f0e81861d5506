/**
 * The message kinds of the parent <-> child protocol, declared once.
 * Every frame is: u32 LE length of the rest | u8 kind | u32 LE id | payload (codec bytes).
 */
export const Kind = {
  /** parent -> child: the init data; the child answers READY or INIT_ERROR. */
  INIT: 1,
  /** parent -> child: run a job (id = job id). */
  JOB: 2,
  /** parent -> child: abort the running job's ctx.signal (id = job id). */
  ABORT: 3,
  /** parent -> child: drop this job if it has not started (id = its seq, see channel/job-seq.ts); answered by RELEASED. */
  RELEASE: 4,
  /** parent -> child: finish the jobs already sent, then exit. */
  SHUTDOWN: 5,
  /** parent -> child: a callback's value (id = call id). */
  CALLBACK_RESULT: 6,
  /** parent -> child: a callback's error (id = call id). */
  CALLBACK_ERROR: 7,
  /** parent -> child: run a named task (id = job id); payload: u8 name length | name (UTF-8) | codec bytes. */
  TASK: 8,
  /** parent -> child: several jobs at once (id = count), each given as JSON; see channel/json-run.ts. */
  JOBS: 9,
  /**
   * parent -> child's reclaim thread, on RECLAIM_FD: start no further job; answered by RECLAIMED.
   * Sent when the worker's main thread seems stuck in a long job (see child/reclaim-thread.ts).
   */
  RECLAIM: 10,
  /**
   * parent -> child: every job sent before this frame that had not started by the RECLAIM was
   * taken back: drop them, and start jobs again (those sent after this frame).
   */
  RESUME: 11,

  /** child -> parent: the module loaded and init ran; payload: pid. */
  READY: 20,
  /** child -> parent: the module failed to load, or init threw; payload: the error. */
  INIT_ERROR: 21,
  /** child -> parent: a job's value (id = job id). */
  RESULT: 22,
  /** child -> parent: a job's thrown error (id = job id). */
  JOB_ERROR: 23,
  /** child -> parent: a RELEASE (or an ABORT of a job not started) was honoured: the job never started (id = its seq). */
  RELEASED: 24,
  /** child -> parent: call a parent callback (id = call id); payload: [name, jobId, payload]. */
  CALLBACK: 25,
  /** child -> parent (prefork): the child's final payload before it exits. */
  FINAL: 26,
  /** child -> parent: the child's RSS in KiB (in the id field), sent after each job when asked. */
  RSS: 27,
  /**
   * child -> parent: the child is exiting and every answer it finished is ahead of this frame;
   * id = the job it was running (0: none). Sent from its exit path (process.exit, an uncaught
   * exception, a SIGTERM it acts on), so the parent charges exactly that job.
   */
  EXITING: 28,
  /**
   * child -> parent: timing of the jobs answered since the last BUSY, in answer order: id = count,
   * payload = raw u32 LE triples (job id, µs it waited in the child, µs it ran).
   */
  BUSY: 29,
  /** child -> parent: a running job's progress (id = job id); fire and forget. */
  PROGRESS: 30,
  /** child -> parent: the module's teardown() threw; payload: the error. */
  TEARDOWN_ERROR: 31,
  /** child -> parent: the values of several jobs at once (id = count); see channel/json-run.ts. */
  RESULTS: 32,
  /**
   * child's reclaim thread -> parent, on RECLAIM_FD: the worker starts no further job until RESUME;
   * id = the seq of the last job it started (those after it never run).
   */
  RECLAIMED: 33,
} as const;

export type KindCode = (typeof Kind)[keyof typeof Kind];

const FROM_CHILD = new Set<number>([Kind.READY, Kind.INIT_ERROR, Kind.RESULT, Kind.JOB_ERROR, Kind.RELEASED, Kind.CALLBACK, Kind.FINAL, Kind.RSS, Kind.EXITING, Kind.BUSY, Kind.PROGRESS, Kind.TEARDOWN_ERROR, Kind.RESULTS]);

/** Kinds a child may send: anything else on the parent's side of the channel is garbage. */
export function isChildKind(kind: number): boolean {
  return FROM_CHILD.has(kind);
}

/**
 * The channel is the child's fd 3: a socketpair end, separate from stdout and stderr. A pool
 * worker reads its jobs there and writes its answers to ANSWER_FD, a second socketpair written
 * with blocking writes (see child/sync-sink.ts); a prefork child uses fd 3 both ways.
 */
export const CHANNEL_FD = 3;
export const ANSWER_FD = 4;
/**
 * A pool worker's third socketpair, both ways, between the parent and the worker's reclaim
 * thread (RECLAIM, RECLAIMED): it is read even while the main thread is in a long synchronous job.
 */
export const RECLAIM_FD = 5;

export const HEADER_SIZE = 9;
