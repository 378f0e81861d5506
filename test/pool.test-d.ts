/**
 * Type tests, checked by `npm run typecheck` (tsc over test/tsconfig.json); they have no runtime
 * part. A wrong expectation is a compile error, so `npm test` fails.
 */
import { expectTypeOf } from 'vitest';
import type { Pool, Outcome } from '../dist/index.js';
import { defineWorker } from '../dist/worker.js';

type Worker = typeof import('./fixtures/typed-worker.js');
type TypedPool = Pool<Worker>;

// The job and result types come from the worker module's default export.
expectTypeOf<Parameters<TypedPool['run']>[0]>().toEqualTypeOf<{ a: number; b: number }>();
expectTypeOf<ReturnType<TypedPool['run']>>().toEqualTypeOf<Promise<{ product: number }>>();
expectTypeOf<Awaited<ReturnType<TypedPool['next']>>>().toEqualTypeOf<Outcome<{ a: number; b: number }, { product: number }>>();

// ... or from a work function, and onResult maps the result type.
const square = defineWorker((job: { n: number }) => job.n * job.n);
expectTypeOf<ReturnType<Pool<typeof square>['run']>>().toEqualTypeOf<Promise<number>>();
expectTypeOf<ReturnType<Pool<typeof square, string>['run']>>().toEqualTypeOf<Promise<string>>();

// An untyped pool takes any job.
expectTypeOf<Parameters<Pool['run']>[0]>().toBeAny();

// Named tasks: `run(job, { name })` takes and returns that export's types; init and teardown are no tasks.
declare const typed: TypedPool;
expectTypeOf(typed.run({ width: 10 }, { name: 'resize' })).toEqualTypeOf<Promise<{ width: number; scaled: true }>>();
expectTypeOf(typed.run({ a: 1, b: 2 }, { name: 'default' })).toEqualTypeOf<Promise<{ product: number }>>();
expectTypeOf(typed.run({ a: 1, b: 2 }, { priority: 3 })).toEqualTypeOf<Promise<{ product: number }>>();
// @ts-expect-error a job of the wrong shape for the task
void typed.run({ a: 1, b: 2 }, { name: 'resize' });
// @ts-expect-error init is not a task
void typed.run({}, { name: 'init' });
// @ts-expect-error nor is a name the module does not export
void typed.run({}, { name: 'nope' });
// An untyped pool takes any name.
expectTypeOf<Parameters<Pool['run']>[0]>().toBeAny();
declare const untyped: Pool;
expectTypeOf(untyped.run(1, { name: 'anything' })).toEqualTypeOf<Promise<any>>();

// transfer: a list of ArrayBuffers on a local pool; the distributed mode has no such option.
declare const bytes: Buffer<ArrayBuffer>;
expectTypeOf(untyped.run(bytes, { transfer: [bytes.buffer] })).toEqualTypeOf<Promise<any>>();
// @ts-expect-error transfer takes ArrayBuffers, not views
void untyped.run(bytes, { transfer: [bytes] });
declare const distributed: import('../dist/bullmq/index.js').DistributedPool;
// @ts-expect-error jobs travel as JSON through Redis: nothing to hand over
void distributed.run({}, { transfer: [bytes.buffer] });
