// Type-checked by the packaging test as CommonJS (node16, nodenext): imports compile to require().
import { JobTimeoutError, Pool } from 'forkpool';
import { BossWorkerAsync } from 'forkpool/compat';
import { DistributedPool } from 'forkpool/bullmq';
import { defineWorker } from 'forkpool/worker';

const work = defineWorker((job: { n: number }) => ({ square: job.n * job.n }));
const pool = () => new Pool<typeof work>({ worker: `${__dirname}/square.js`, workers: 1 });

export async function square(n: number): Promise<number> {
  const running = pool();
  const { square } = await running.run({ n });
  await running.close();
  return square;
}
// @ts-expect-error a job of the wrong shape is refused: the types are forkpool's, not `any`
export const badJob = () => pool().run({ m: 1 });
export const code: 'ERR_JOB_TIMEOUT' = new JobTimeoutError(5).code;
export const compat = (worker: string) => new BossWorkerAsync({ workHandler: worker });
export const distributed = (queue: string) => new DistributedPool({ connection: 'redis://127.0.0.1:6379', queue });
