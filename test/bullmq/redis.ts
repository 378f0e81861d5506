import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { once } from 'node:events';
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

async function spawnServer(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
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
