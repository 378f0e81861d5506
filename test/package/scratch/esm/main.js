// Runs one job through each entry point as an ESM consumer and prints what it got as JSON.
// With a Redis URL as argument it also runs a job through forkpool/bullmq.
import { Pool, PoolClosedError } from 'forkpool';
import { BossWorkerAsync } from 'forkpool/compat';
import { DistributedPool, DistributedWorker } from 'forkpool/bullmq';

const worker = new URL('./square.js', import.meta.url);
const report = { format: typeof module === 'undefined' ? 'esm' : 'cjs' };

const pool = new Pool({ worker, workers: 1 });
report.pool = (await pool.run({ n: 7 })).square;
await pool.close();
report.closed = await pool.run({ n: 1 }).then(() => 'ran', (error) => error instanceof PoolClosedError && error.code);

const bw = new BossWorkerAsync({ workHandler: worker, workerCount: 1 });
bw.addWork({ n: 8 });
report.compat = (await bw.getResult()).square;
await bw.shutDown();

const url = process.argv[2];
if (url) {
  const queue = `pkg-esm-${process.pid}`;
  const host = await DistributedWorker.start({ connection: url, queue, worker, workers: 1 });
  const remote = new DistributedPool({ connection: url, queue });
  report.bullmq = (await remote.run({ n: 9 })).square;
  await remote.close();
  await host.close();
}
console.log(JSON.stringify(report));
