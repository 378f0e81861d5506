import { accessSync, constants } from 'node:fs';
import { PARENT_DEATH_ENV } from '../channel/child-env.js';
import { delimiter, join } from 'node:path';

/**
 * Orphan safety without a thread in every child: on Linux, util-linux's `setpriv --pdeathsig KILL`
 * sets PR_SET_PDEATHSIG and execs Node in place (same pid), so the kernel kills the worker the
 * moment its parent dies — even when it spins in a synchronous loop. Where setpriv is missing
 * (macOS, minimal images) the child starts its watchdog thread instead (see child/watchdog.ts).
 */


let cached: string | null | undefined;

function findSetpriv(): string | null {
  if (process.platform !== 'linux') return null;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, 'setpriv');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** The command and leading arguments that start `node` so that it dies with this process. */
export function guardedNode(): { command: string; prefix: string[]; env: Record<string, string> } {
  cached ??= findSetpriv();
  if (!cached) return { command: process.execPath, prefix: [], env: {} };
  return { command: cached, prefix: ['--pdeathsig', 'KILL', '--', process.execPath], env: { [PARENT_DEATH_ENV]: 'KILL' } };
}
