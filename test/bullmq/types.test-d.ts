/** Type tests of the distributed run options and events (npm run typecheck; no runtime part). */
import { expectTypeOf } from 'vitest';
import type { DistributedPool, DistributedRunOptions } from '../../dist/bullmq/index.js';

expectTypeOf<DistributedRunOptions['name']>().toEqualTypeOf<string | undefined>();
expectTypeOf<DistributedRunOptions['priority']>().toEqualTypeOf<number | undefined>();
expectTypeOf<DistributedRunOptions['onProgress']>().toEqualTypeOf<((value: unknown) => void) | undefined>();
expectTypeOf<Parameters<DistributedPool['run']>[1]>().toEqualTypeOf<DistributedRunOptions | undefined>();

declare const pool: DistributedPool;
pool.on('progress', (event) => expectTypeOf(event).toEqualTypeOf<{ jobId: string; value: unknown }>());
pool.on('error', (error) => expectTypeOf(error).toEqualTypeOf<Error>());
// @ts-expect-error the distributed pool has no local worker events
pool.on('workerReady', () => undefined);
// @ts-expect-error a priority is a number
void pool.run(1, { priority: 'high' });
