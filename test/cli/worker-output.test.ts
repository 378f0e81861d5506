import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';
import { CLI, SUMMARY, jsonl, resultLines, runCli } from './run-cli.js';
import { screenLines } from './terminal.js';

const chatty = fixture('cli-chatty.mjs');
const dir = mkdtempSync(join(tmpdir(), 'forkpool-cli-out-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const jobs = jsonl([1, 2, 3].map((n) => ({ n })));
const talk = (n: number, extra = "") => [`debug: working on {"n":${n}${extra}}`, `note ${n}: half and the rest`];

describe('forkpool run: what workers print', () => {
  it('goes to stderr by default: stdout holds only result lines (| jq works)', async () => {
    const result = await runCli(['run', chatty, '--workers', '1'], { input: jobs });
    expect(result.code).toBe(0);
    expect(resultLines(result.stdout).map((line) => line.value).sort()).toEqual([1, 2, 3]);
    for (const n of [1, 2, 3]) {
      // Each console.log line arrives whole; the stderr line was written in two pieces, and the
      // next job's stdout (another pipe) may be read between them.
      expect(result.stderr).toContain(`debug: working on {"n":${n}}\n`);
      expect(result.stderr).toContain(`note ${n}: half`);
    }
    expect(SUMMARY.test(result.stderr)).toBe(true);
  });

  it('--worker-stdout inherit mixes it into stdout (as before); ignore drops it', async () => {
    const inherit = await runCli(['run', chatty, '--workers', '1', '--worker-stdout', 'inherit'], { input: jobs });
    expect(inherit.code).toBe(0);
    expect(inherit.stdout).toContain('debug: working on {"n":2}\n');
    expect(inherit.stderr).not.toContain('debug: working on');

    const ignore = await runCli(['run', chatty, '--workers', '1', '--worker-stdout', 'ignore'], { input: jobs });
    expect(ignore.code).toBe(0);
    expect(ignore.stdout + ignore.stderr).not.toContain('debug: working on');
    // Only stdout is dropped: the workers' stderr still passes through.
    expect(ignore.stderr).toContain('note 2: half and the rest\n');
    expect(resultLines(ignore.stdout)).toHaveLength(3);
  });

  it('rejects an unknown --worker-stdout', async () => {
    const result = await runCli(['run', chatty, '--worker-stdout', 'file']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--worker-stdout.*Allowed choices are stderr, inherit, ignore/s);
  });

  it('on a terminal, the progress line never lands inside worker output (a real pseudo-terminal via script(1))', async () => {
    const input = join(dir, 'jobs.jsonl');
    const output = join(dir, 'results.jsonl');
    const n = 8;
    // Each job pauses mid-line for longer than the bar's redraw interval (100 ms).
    writeFileSync(input, jsonl(Array.from({ length: n }, (_, i) => ({ n: i, ms: 150 }))));
    const command = [process.execPath, CLI, 'run', chatty, '--input', input, '--output', output, '--workers', '1'].map((arg) => `'${arg}'`).join(' ');
    const script = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let screen = '';
    script.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
    const code = await new Promise<number | null>((resolve, reject) => {
      const timer = setTimeout(() => {
        script.kill('SIGKILL');
        reject(new Error(`script(1) did not exit in time; got ${JSON.stringify(screen)}`));
      }, 30_000);
      script.on('close', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(code).toBe(0);
    expect(resultLines(readFileSync(output, 'utf8'))).toHaveLength(n);
    // The bar was drawn (so the test exercises the redraw) ...
    expect(screen).toMatch(/\[#*-*\] \d+\/8 \|/);
    // ... and what is left on the screen is every worker line, whole, and the summary: no bar
    // fragment inside a line, no line cut by a redraw.
    const lines = screenLines(screen).filter((line) => line !== '');
    const expected = Array.from({ length: n }, (_, i) => talk(i, `,"ms":150`)).flat();
    // (Sorted: a worker's stdout and stderr are two pipes, so their relative order is not promised.)
    expect([...lines.slice(0, -1)].sort()).toEqual([...expected].sort());
    expect(lines.at(-1)).toMatch(SUMMARY);
  }, 60_000);
});
