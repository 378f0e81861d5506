import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Node flags for the CLI process itself, e.g. a heap cap. */
  nodeFlags?: string[];
  /** The CLI is killed (by pid) after this long, and the test fails on the timeout. */
  timeoutMs?: number;
  cwd?: string;
  /** Its own process group, so a test can signal it like a terminal's Ctrl-C does. */
  detached?: boolean;
}

/** Starts the built CLI: `node dist/cli/main.js ...args`. */
export function startCli(args: string[], options: CliOptions = {}): ChildProcess {
  return spawn(process.execPath, [...(options.nodeFlags ?? []), CLI, ...args], {
    cwd: options.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
}

/** Collects a started CLI's output until it exits; kills it (by pid) after `timeoutMs`. */
export function collect(child: ChildProcess, timeoutMs = 20_000): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the CLI did not exit within ${timeoutMs} ms; stderr so far:\n${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const child = startCli(args, options);
  const done = collect(child, options.timeoutMs);
  child.stdin?.on('error', () => undefined); // the CLI may exit (usage error) before reading
  child.stdin?.end(options.input ?? '');
  return done;
}

/** Parses stdout's result lines; every line must be JSON. */
export function resultLines(stdout: string): Array<{ index: number; value?: unknown; error?: { code: string; message: string } }> {
  return stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as { index: number; value?: unknown; error?: { code: string; message: string } });
}

export const jsonl = (jobs: unknown[]): string => jobs.map((job) => `${JSON.stringify(job)}\n`).join('');

export const SUMMARY = /^(\d+) done, (\d+) failed in (\d+\.\d+) s \((\d+(?:\.\d)?) jobs\/s\)$/m;
