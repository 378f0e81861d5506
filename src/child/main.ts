/**
 * Entry point of a pool worker process: `node main.js <worker module URL>`.
 * Loads the user's module and serves jobs: they arrive on fd 3, answers leave on fd 4.
 */
import { moduleUrlArgument } from './entry-argument.js';
import { loadWorkerModule } from './load.js';
import { WorkerRuntime } from './runtime.js';

const moduleUrl = moduleUrlArgument('worker');
// A worker leads its own process group, but a Ctrl-C may still reach it (a terminal's signal to
// a group it was moved into, a kill -INT by hand). The parent decides what an interrupt means
// (finish running jobs, or force-close); a worker must not die mid-job on its own. It still exits
// when the parent goes away (channel closed, watchdog).
process.on('SIGINT', () => undefined);

new WorkerRuntime(loadWorkerModule(moduleUrl));
