import type { ExitReason } from './worker-process.js';

/** Signals that a person, a service manager or the kernel (OOM killer: SIGKILL) sends from outside. */
const EXTERNAL_SIGNALS: ReadonlySet<string> = new Set(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGHUP']);

/** Everything known about one worker's end, gathered by the engine. */
export interface ExitFacts {
  /** Its state when it ended: still starting, or ready (serving or being retired). */
  phase: 'starting' | 'ready';
  /** Why the pool stopped it, if the pool did. */
  requested: ExitReason | undefined;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** spawn() itself failed (EMFILE, EAGAIN, ENOENT of the Node binary or cwd, ...). */
  spawnFailed: boolean;
  /** It sent EXITING: every answer it finished arrived, and this is the job it was running (0: none). */
  goodbye: { running: number } | undefined;
  /** It answered at least one job. */
  served: boolean;
  /**
   * Its jobs the child never answered, in the order it was sent them; `settled` ones were
   * settled by the pool meanwhile (cancelled, timed out) but may still be what it was running.
   */
  unanswered: ReadonlyArray<{ id: number; settled: boolean }>;
}

export interface ExitVerdict {
  /** What `workerExit` reports. */
  reason: ExitReason;
  /** The module's own fault: counts toward `maxStartFailures`. */
  moduleFault: boolean;
  /** Killed from outside the pool: respawned with back-off for as long as the pool lives. */
  externalKill: boolean;
  /** The one job charged with this exit (an attempt, or its timeout), if it is known for sure. */
  charged: number | undefined;
  /**
   * How the other unanswered jobs go back to the queue, uncharged: `clean` when they are known
   * not to have run; `suspects` when any of them may have been the fault (a hard death with
   * several unanswered), so each is re-run alone and a poison job is charged when it kills a
   * worker by itself.
   */
  requeue: 'clean' | 'suspects';
}

/** Decides once, from facts only, what a worker's exit means. Table-tested in exit-classifier.test.ts. */
export function classifyExit(facts: ExitFacts): ExitVerdict {
  const externalKill = facts.requested === undefined && facts.signal !== null && EXTERNAL_SIGNALS.has(facts.signal);
  const reason: ExitReason =
    facts.requested ?? (facts.spawnFailed ? 'init-failure' : externalKill ? 'killed' : facts.phase === 'starting' ? 'init-failure' : 'crash');
  return { reason, moduleFault: isModuleFault(facts, externalKill), externalKill, ...charge(facts) };
}

function isModuleFault(facts: ExitFacts, externalKill: boolean): boolean {
  if (externalKill) return false;
  const requested = facts.requested;
  // The pool's own stops (timeout, cancel, recycle, idle, shutdown, force, memory) are no one's fault.
  if (requested !== undefined && requested !== 'init-failure' && requested !== 'protocol') return false;
  if (facts.phase === 'starting' || facts.spawnFailed) return true;
  // Ready, then dead by itself before it finished any job and with none running: a module that
  // crashes right after READY would otherwise be respawned in a tight loop.
  return !facts.served && facts.unanswered.length === 0;
}

function charge(facts: ExitFacts): Pick<ExitVerdict, 'charged' | 'requeue'> {
  const unanswered = facts.unanswered;
  // A worker stopped for writing garbage is not believed, nor a goodbye naming a job it was never
  // sent: neither comes from forkpool's runtime, and believing them would let the job really
  // running go back uncharged, to do the same on the next worker, forever.
  const goodbye = facts.requested === 'protocol' ? undefined : facts.goodbye;
  if (goodbye) {
    const running = goodbye.running;
    const job = running === 0 ? undefined : unanswered.find((candidate) => candidate.id === running);
    if (running === 0 || job) return { charged: job && !job.settled ? job.id : undefined, requeue: 'clean' };
  }
  // Without a goodbye, any unanswered job may have been running (answers leave in batches),
  // a settled one too: only a lone one is known for sure.
  const only = unanswered.length === 1 ? unanswered[0] : undefined;
  if (only) return { charged: only.settled ? undefined : only.id, requeue: 'clean' };
  return { charged: undefined, requeue: unanswered.some((job) => !job.settled) ? 'suspects' : 'clean' };
}
