/**
 * Entry of a BossWorkerAsync worker whose handlers are module paths:
 * `node bwa-child.js <work module URL> [<init module URL>]`.
 */
import { WorkerRuntime } from '../child/runtime.js';
import { loadCompatHandlers } from './bwa-handlers.js';

const [work, init] = process.argv.slice(2);
new WorkerRuntime(loadCompatHandlers(work, init || undefined));
