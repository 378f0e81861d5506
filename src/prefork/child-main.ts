/**
 * Entry point of a `Prefork` child: `node child-main.js <module URL>`. Runs the module's default
 * export once with a context, sends what it returns as the final payload and exits with code 0;
 * if it throws, the error is the outcome and the exit code is 1.
 */
import { moduleUrlArgument } from '../child/entry-argument.js';
import { loadWorkerModule } from '../child/load.js';
import { PreforkChannel } from './child-channel.js';
import type { PreforkChildFunction, PreforkContext } from './types.js';

const moduleUrl = moduleUrlArgument('prefork child');
const channel = new PreforkChannel();
const ctx: PreforkContext = {
  callback: (name, payload) => channel.callback(name, payload),
  finish: (exitCode, payload) => channel.finish(exitCode, payload),
  managerPid: process.ppid,
};
let value: unknown;
try {
  const { work } = await loadWorkerModule(moduleUrl);
  if (typeof work !== 'function') {
    throw new TypeError(`The prefork child module ${moduleUrl} has no default export function: write \`export default async function (ctx) { ... }\`.`);
  }
  value = await (work as unknown as PreforkChildFunction)(ctx);
} catch (error) {
  process.stderr.write(`forkpool: prefork child ${process.pid} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  await channel.fail(1, error);
}
try {
  await channel.finish(0, value);
} catch (error) {
  await channel.fail(1, error);
}
