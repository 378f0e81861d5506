import type { WorkContext } from './types.js';

type CallParent = (name: string, payload: unknown, jobId: number) => Promise<unknown>;
type Report = (jobId: number, value: unknown) => void;

/**
 * The `ctx` a job's work function receives. Most jobs never look at it, so it is one small
 * object: the AbortController is made on first use of `signal` (or on abort), and `callback`
 * is bound only when read (so `const { callback } = ctx` still works).
 */
export class JobContext implements WorkContext {
  readonly jobId: number;
  readonly workerId: number;
  readonly #callParent: CallParent;
  readonly #report: Report;
  #controller: AbortController | undefined;

  constructor(jobId: number, workerId: number, callParent: CallParent, report: Report) {
    this.jobId = jobId;
    this.workerId = workerId;
    this.#callParent = callParent;
    this.#report = report;
  }

  get progress(): WorkContext['progress'] {
    const jobId = this.jobId;
    const report = this.#report;
    return (value: unknown) => report(jobId, value);
  }

  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    return this.#controller.signal;
  }

  get callback(): WorkContext['callback'] {
    const jobId = this.jobId;
    const callParent = this.#callParent;
    return <T>(name: string, payload?: unknown) => callParent(name, payload, jobId) as Promise<T>;
  }

  /** Aborts `signal` with `reason` (once). */
  abort(reason: unknown): void {
    this.#controller ??= new AbortController();
    this.#controller.abort(reason);
  }
}
