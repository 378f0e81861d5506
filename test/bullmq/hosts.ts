import { childrenOf } from '../proc-utils.js';

export { childrenOf };
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import { fixture } from '../helpers.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));
export const WORK = fixture('bullmq-work.mjs');

/** A queue name no other test uses (tests may share one Redis through REDIS_URL). */
export function queueName(): string {
  return `t-${randomBytes(5).toString('hex')}`;
}

export interface Host {
  child: ChildProcess;
  pid: number;
  stderr(): string;
  /** Resolves with the exit code (or the signal name). */
  exited: Promise<number | string>;
}

const hosts = new Set<Host>();

/** Starts `forkpool worker` and waits (bounded) for its "ready" line. */
export async function startHost(url: string, queue: string, args: string[] = []): Promise<Host> {
  const child = spawn(process.execPath, [CLI, 'worker', WORK, '--redis', url, '--queue', queue, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, 'exit').then(([code, signal]) => (code ?? signal) as number | string);
  const host: Host = { child, pid: child.pid ?? 0, stderr: () => stderr, exited };
  hosts.add(host);
  const deadline = Date.now() + 20_000;
  while (!stderr.includes('forkpool worker: ready')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`forkpool worker exited before it was ready:\n${stderr}`);
    if (Date.now() > deadline) throw new Error(`forkpool worker was not ready within 20 s:\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return host;
}


afterEach(async () => {
  const left = [...hosts];
  hosts.clear();
  await Promise.all(
    left.map(async (host) => {
      if (host.child.exitCode !== null || host.child.signalCode !== null) return;
      const children = childrenOf(host.pid);
      host.child.kill('SIGKILL');
      await host.exited;
      for (const pid of children) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }),
  );
});

/** Job counts of a queue, read with a throwaway connection (which leaves the queue's settings alone). */
export async function withQueue<T>(url: string, name: string, use: (queue: Queue) => Promise<T>): Promise<T> {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection, skipMetasUpdate: true });
  try {
    return await use(queue);
  } finally {
    await queue.close();
    await connection.quit();
  }
}

/** Deletes a test's queue (needed when REDIS_URL is shared). */
export function dropQueue(url: string, name: string): Promise<void> {
  return withQueue(url, name, (queue) => queue.obliterate({ force: true }));
}
