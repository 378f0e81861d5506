/** The job type of a worker module (`typeof import('./w.js')`) or of a work function. */
export type JobOf<W> = W extends { default: (job: infer J, ...rest: any[]) => unknown }
  ? J
  : W extends (job: infer J, ...rest: any[]) => unknown
    ? J
    : any;

/** The (awaited) result type of a worker module or of a work function. */
export type ResultOf<W> = W extends { default: (...args: any[]) => infer R }
  ? Awaited<R>
  : W extends (...args: any[]) => infer R
    ? Awaited<R>
    : any;

/** Not tasks: a worker module's lifecycle hooks. */
type Hooks = 'init' | 'teardown';

/** The names `run(job, { name })` accepts: the module's exported functions (`default` included). */
export type TaskName<W> = [W] extends [{ default: unknown }]
  ? Exclude<{ [K in keyof W]: W[K] extends (...args: any[]) => unknown ? K : never }[keyof W], Hooks> & string
  : string;

/** The job type of task `N` of worker module `W`. */
export type TaskJobOf<W, N> = N extends keyof W ? (W[N] extends (job: infer J, ...rest: any[]) => unknown ? J : any) : any;

/** The (awaited) result type of task `N` of worker module `W`. */
export type TaskResultOf<W, N> = N extends keyof W ? (W[N] extends (...args: any[]) => infer R ? Awaited<R> : any) : any;
