import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';

/**
 * Redis for the distributed tests: `REDIS_URL` when set (CI's .ci/run sets it), else a private
 * redis-server on 127.0.0.1 and a free port, persistence off, stopped by pid after the file.
 * Without either, the suites report themselves as skipped with the reason, except under
 * CI=true, where a missing Redis fails.
 */
const fromEnv = process.env['REDIS_URL'];
const hasServer = fromEnv === undefined && spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
export const skipReason = fromEnv !== undefined || hasServer ? undefined : 'no Redis: set REDIS_URL or install redis-server (apt-get install -y redis-server)';

/** `describe` that needs Redis: skipped with the reason when there is none, failing under CI=true. */
export function describeRedis(name: string, body: () => void): void {
  if (skipReason === undefined) {
    describe(name, body);
    return;
  }
  if (process.env['CI'] === 'true') {
    describe(name, () => {
      it('has a Redis to test against (CI=true: a skip is a failure)', () => {
        throw new Error(skipReason);
      });
    });
    return;
  }
  describe.skip(`${name} [skipped: ${skipReason}]`, body);
}

export interface RedisHandle {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Persistence off (nothing written, a restart comes back empty), or an AOF in `dir` synced on every write. */
function serverArgs(port: number, dir?: string): string[] {
  const persistence = dir === undefined ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir];
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence];
}

async function spawnServer(port: number, dir?: string): Promise<ChildProcess> {
  const child = spawn('redis-server', serverArgs(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s:\n${output}`)), 10_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${output}`));
    });
  });
  try {
    await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  child.stdout?.resume();
  return child;
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  // A stopped (SIGSTOP) server acts on SIGTERM only once continued.
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/** A redis-server of the test's own, which it may stop, pause and restart (never the shared REDIS_URL one). */
export interface OwnRedis {
  url: string;
  pid(): number;
  /** Stops the server (SIGTERM, bounded); the port stays free for `start()`. */
  stop(): Promise<void>;
  /** Starts it again on the same port: empty without persistence, with its data with it. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT to the server. */
  signal(name: 'SIGSTOP' | 'SIGCONT'): void;
}

const hasBinary = spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
const ownSkipReason = hasBinary ? undefined : 'no redis-server to stop and restart (apt-get install -y redis-server)';

/** `describe` whose tests start their own redis-server: skipped without the binary, failing under CI=true. */
export function describeOwnRedis(name: string, body: () => void): void {
  if (ownSkipReason === undefined) {
    describe(name, body);
    return;
  }
  if (process.env['CI'] === 'true') {
    describe(name, () => {
      it('has redis-server to test against (CI=true: a skip is a failure)', () => {
        throw new Error(ownSkipReason);
      });
    });
    return;
  }
  describe.skip(`${name} [skipped: ${ownSkipReason}]`, body);
}

const owned = new Set<ChildProcess>();
const dirs = new Set<string>();

/** Stops every server `startOwnRedis` started in this file and deletes their data (call in afterEach). */
export async function stopOwnRedis(): Promise<void> {
  await Promise.all([...owned].map(stopServer));
  owned.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

/** Starts a private redis-server on a free port; `persistent` keeps its data across stop/start (AOF in a temp dir). */
export async function startOwnRedis(options: { persistent?: boolean } = {}): Promise<OwnRedis> {
  const dir = options.persistent ? mkdtempSync(join(tmpdir(), 'forkpool-redis-')) : undefined;
  if (dir !== undefined) dirs.add(dir);
  let lastError: unknown;
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    try {
      let child = await spawnServer(port, dir);
      owned.add(child);
      return {
        url: `redis://127.0.0.1:${port}`,
        pid: () => child.pid ?? 0,
        async stop() {
          await stopServer(child);
          owned.delete(child);
        },
        async start() {
          child = await spawnServer(port, dir);
          owned.add(child);
        },
        signal(name) {
          child.kill(name);
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

export async function startRedis(): Promise<RedisHandle> {
  if (fromEnv !== undefined) return { url: fromEnv, stop: async () => undefined };
  let lastError: unknown;
  // The port may be taken between probing and binding by another test file: try a few.
  for (let i = 0; i < 3; i++) {
    const port = await freePort();
    try {
      const child = await spawnServer(port);
      return {
        url: `redis://127.0.0.1:${port}`,
        async stop() {
          if (child.exitCode !== null) return;
          const exited = once(child, 'exit');
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}
