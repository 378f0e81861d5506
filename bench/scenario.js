/**
 * Runs one measurement in this fresh process and prints it as one JSON line:
 *   node bench/scenario.js '{"scenario":"tiny","system":"forkpool","workers":2,"jobs":20000}'
 * The library is imported before any timing starts. Every child is reaped before exit; a
 * straggler is killed and counted in `leftover`.
 */
import { reapChildren } from './lib/proc.js';
import { SYSTEMS } from './systems.js';

const spec = JSON.parse(process.argv[2] ?? '{}');
const system = SYSTEMS[spec.system];
if (!system) throw new Error(`unknown system ${spec.system}; known: ${Object.keys(SYSTEMS).join(', ')}`);
const scenario = await import(`./scenarios/${spec.scenario}.js`);
if (system.module) await import(system.module);

let result;
try {
  result = await scenario.measure(system, spec);
} catch (error) {
  result = { error: String(error?.stack ?? error) };
}
result.leftover = await reapChildren();
process.stdout.write(`${JSON.stringify({ ...spec, ...result })}\n`);
process.exit(0);
