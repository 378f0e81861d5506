import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach } from 'vitest';
import { isAlive } from '../helpers.js';

/**
 * Runs a fixture script as its own process, so that signals meant for "the manager" never reach
 * the test runner. The script prints one JSON message per line on stdout.
 */
export interface Script {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly messages: any[];
  /** Resolves with the first message (seen or to come) matching `test`; rejects after `timeoutMs`. */
  message(test: (message: any) => boolean, timeoutMs?: number): Promise<any>;
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  signal(signal: NodeJS.Signals): void;
}

const running = new Set<ChildProcess>();

afterEach(() => {
  // A failed test leaves its script behind: its children exit once its channel closes.
  for (const child of running) if (child.pid && isAlive(child.pid)) child.kill('SIGKILL');
  running.clear();
});

export function runScript(file: string, args: string[] = []): Script {
  const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  running.add(child);
  const messages: any[] = [];
  const listeners = new Set<() => void>();
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    try {
      messages.push(JSON.parse(line));
    } catch {
      return; // not ours
    }
    for (const listener of [...listeners]) listener();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  return {
    child,
    pid: child.pid as number,
    messages,
    exit,
    signal: (signal) => child.kill(signal),
    message(test, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(test);
          if (found === undefined) return false;
          cleanup();
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no matching message from ${file} within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          listeners.delete(listener);
        };
        const listener = () => void check();
        if (!check()) {
          listeners.add(listener);
          void exit.then(() => setTimeout(() => {
            if (!check()) {
              cleanup();
              reject(new Error(`${file} exited without a matching message; got ${JSON.stringify(messages)}`));
            }
          }, 50));
        }
      });
    },
  };
}
