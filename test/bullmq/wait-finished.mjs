// Resumes a paused queue, then polls (public API) until it has `n` finished jobs and exits 0;
// exits 1 after 20 s. Run with spawnSync: the test process that started it is blocked
// meanwhile, as a producer is whose event loop stalls while its hosts keep finishing jobs.
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';

const [url, name, n] = process.argv.slice(2);
const connection = new Redis(url, { maxRetriesPerRequest: null });
const queue = new Queue(name, { connection, skipMetasUpdate: true });
await queue.resume();
const deadline = Date.now() + 20_000;
let code = 1;
while (Date.now() < deadline) {
  const { completed, failed } = await queue.getJobCounts('completed', 'failed');
  if (completed + failed >= Number(n)) {
    code = 0;
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await queue.close();
connection.disconnect();
process.exit(code);
