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
