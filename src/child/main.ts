/**
 * Entry point of a pool worker process: `node main.js <worker module URL>`.
 * Loads the user's module and serves jobs over the channel on fd 3.
 */
import { loadWorkerModule } from './load.js';
import { WorkerRuntime } from './runtime.js';

const moduleUrl = process.argv[2];
if (!moduleUrl) {
  process.stderr.write('forkpool: the worker entry needs a module URL\n');
  process.exit(64);
}
// A terminal's Ctrl-C signals the whole foreground process group, workers included. The parent
// decides what an interrupt means (finish running jobs, or force-close); a worker must not die
// mid-job on its own. It still exits when the parent goes away (channel closed, watchdog).
process.on('SIGINT', () => undefined);

new WorkerRuntime(loadWorkerModule(moduleUrl));
