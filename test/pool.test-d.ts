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
