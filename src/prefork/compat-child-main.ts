/**
 * Entry point of a `PreforkIPC` child whose code is a module (the `worker` option):
 * `node compat-child-main.js <module URL>`. Its default export runs as `await fn(ppi)`.
 */
import { moduleUrlArgument } from '../child/entry-argument.js';
import { loadWorkerModule } from '../child/load.js';
import { PreforkIPC } from '../compat/prefork-ipc.js';

const moduleUrl = moduleUrlArgument('prefork child');
const ppi = new PreforkIPC();
const { work } = await loadWorkerModule(moduleUrl);
if (typeof work !== 'function') {
  process.stderr.write(`forkpool: the prefork child module ${moduleUrl} has no default export function: write \`export default async function (ppi) { ... }\`.\n`);
  await ppi.finish(1);
}
await ppi.start(work as unknown as (ppi: PreforkIPC) => unknown);
