import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { afterAll, afterEach } from 'vitest';
import { childrenOf } from './proc-utils.js';

/** Absolute path of a fixture worker module. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls `condition` every 10 ms; throws after `timeoutMs` instead of hanging. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Closable {
  close(options?: { force?: boolean }): Promise<void>;
}

const open = new Set<Closable>();

/** Registers a pool to be force-closed after the test, whatever happens in it. */
export function track<T extends Closable>(pool: T): T {
  open.add(pool);
  return pool;
}

afterEach(async () => {
  const pools = [...open];
  open.clear();
  await Promise.all(pools.map((pool) => pool.close({ force: true }).catch(() => undefined)));
});

/** Children of this test process (direct ones), from /proc: to prove none is left behind. */
export function childPids(): number[] {
  return childrenOf(process.pid);
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

// No test file may leave a child process behind (this hook is registered first, so it runs last).
afterAll(async () => {
  await waitFor(() => childPids().length === 0, 5000, `every child process to exit (left: ${childPids().join(', ')})`);
});
