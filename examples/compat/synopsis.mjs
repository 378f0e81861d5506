// The SYNOPSIS of Parallel::Fork::BossWorkerAsync, ported line for line.
// Prints:
// 12
// the answer is: 12
import { BossWorkerAsync } from 'forkpool/compat';

const bw = new BossWorkerAsync({
  workHandler: work,
  resultHandler: handleResult,
  globalTimeout: 2,
});

// Jobs are objects
bw.addWork({ a: 3, b: 4 });
while (bw.pending()) {
  const ref = await bw.getResult();
  if (ref.ERROR) {
    process.stderr.write(ref.ERROR);
  } else {
    console.log(`${ref.product}`);
    console.log(`${ref.string}`);
  }
}
await bw.shutDown();

function work(job) {
  // Uncomment to test timeout
  // Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);

  // Uncomment to test worker error
  // throw new Error('rattle');

  // do something with object job
  const c = job.a * job.b;

  // Return values are objects
  return { product: c };
}

function handleResult(result) {
  if ('product' in result) {
    result.string = `the answer is: ${result.product}`;
  }
  return result;
}
