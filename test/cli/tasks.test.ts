/** forkpool run --task (a named export for every job) and --progress (a running job's latest ctx.progress value on the progress line). */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';
import { CLI, SUMMARY, jsonl, resultLines, runCli } from './run-cli.js';
import { screenLines } from './terminal.js';

const tasks = fixture('tasks.mjs');
const dir = mkdtempSync(join(tmpdir(), 'forkpool-cli-tasks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI on a pseudo-terminal (script(1)), so stderr is a terminal and the progress line is drawn; resolves with what the terminal received. */
function onTerminal(args: string[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, CLI, ...args].map((arg) => `'${arg}'`).join(' ');
  const script = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let screen = '';
  script.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      script.kill('SIGKILL');
      reject(new Error(`script(1) did not exit in time; got ${JSON.stringify(screen)}`));
    }, 30_000);
    script.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, screen });
    });
  });
}

describe('forkpool run --task', () => {
  it('runs the named export for every line', async () => {
    const result = await runCli(['run', tasks, '--workers', '2', '--task', 'thumbnail', '--ordered'], { input: jsonl([{ n: 1 }, { n: 2 }, { n: 3 }]) });
    expect(result.code, result.stderr).toBe(0);
    expect(resultLines(result.stdout).map((line) => line.value)).toEqual([1, 2, 3].map((n) => ({ task: 'thumbnail', n })));
  });

  it('an unknown task fails each job with ERR_TASK_UNKNOWN naming the module\'s tasks (exit 1), and the run goes on', async () => {
    const result = await runCli(['run', tasks, '--workers', '1', '--task', 'rotate'], { input: jsonl([{ n: 1 }, { n: 2 }]) });
    expect(result.code).toBe(1);
    const lines = resultLines(result.stdout);
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line.error?.code).toBe('ERR_TASK_UNKNOWN');
      expect(line.error?.message).toMatch(/"rotate".*default.*resize.*thumbnail/);
    }
    expect(result.stderr).toMatch(SUMMARY);
  });

  it('an empty --task is a usage error (exit 2)', async () => {
    const result = await runCli(['run', tasks, '--task', '']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--task.*name of a function the worker module exports/s);
  });
});

describe('forkpool run --progress', () => {
  it('on a terminal, the progress line shows a running job\'s latest progress value; results are untouched', async () => {
    const input = join(dir, 'progress.jsonl');
    const output = join(dir, 'progress-results.jsonl');
    // Each step is shown for longer than the bar's redraw interval (100 ms).
    writeFileSync(input, jsonl([0, 1].map((n) => ({ n, steps: 3, pauseMs: 300 }))));
    const { code, screen } = await onTerminal(['run', tasks, '--task', 'resize', '--progress', '--workers', '1', '--input', input, '--output', output]);
    expect(code).toBe(0);
    expect(resultLines(readFileSync(output, 'utf8')).map((line) => line.value)).toEqual([0, 1].map((n) => ({ task: 'resize', n })));
    expect(screen).toMatch(/\| job 0: \{"step":2,"of":3\}/);
    expect(screen).toMatch(/\| job 1: \{"step":3,"of":3\}/);
    // The line goes when the run ends: what stays on the screen is the summary.
    expect(screenLines(screen).filter((line) => line !== '')).toEqual([expect.stringMatching(SUMMARY)]);
  }, 60_000);

  it('a long value is cut to 40 characters', async () => {
    const input = join(dir, 'long.jsonl');
    writeFileSync(input, jsonl([{ n: 0, steps: 2, pauseMs: 300, long: true }]));
    const { code, screen } = await onTerminal(['run', tasks, '--task', 'resize', '--progress', '--workers', '1', '--input', input, '--output', join(dir, 'long-results.jsonl')]);
    expect(code).toBe(0);
    // The value ends where the frame does (a newline, a carriage return or an escape sequence).
    // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC ends the frame
    const shown = /\| job 0: (\{"step":1[^\r\n\x1b]*)/.exec(screen)?.[1];
    expect(shown).toBe(`{"step":1,"note":"${'x'.repeat(21)}…`);
    expect(shown).toHaveLength(40);
  }, 60_000);

  it('without --progress the line shows no job values', async () => {
    const input = join(dir, 'plain.jsonl');
    writeFileSync(input, jsonl([{ n: 0, steps: 3, pauseMs: 300 }]));
    const { code, screen } = await onTerminal(['run', tasks, '--task', 'resize', '--workers', '1', '--input', input, '--output', join(dir, 'plain-results.jsonl')]);
    expect(code).toBe(0);
    // The bar was drawn, without values.
    expect(screen).toMatch(/\[#*-*\] \d+\/1 \|/);
    expect(screen).not.toMatch(/job 0:/);
  }, 60_000);
});
