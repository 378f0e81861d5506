import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';
import { SUMMARY, jsonl, resultLines, runCli } from './run-cli.js';

const worker = fixture('cli-job.mjs');
const dir = mkdtempSync(join(tmpdir(), 'forkpool-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const byIndex = <T extends { index: number }>(lines: T[]): T[] => [...lines].sort((a, b) => a.index - b.index);

describe('forkpool run', () => {
  it('writes one value line per job, indexed by line number, and exits 0', async () => {
    const input = `${JSON.stringify({ value: 'a' })}\n\n   \n${JSON.stringify({ value: [1, 2] })}\n${JSON.stringify({ value: { n: 3 } })}`;
    const result = await runCli(['run', worker, '--workers', '2'], { input });
    expect(result.code).toBe(0);
    // Blank lines are skipped but counted; the last line has no trailing newline.
    expect(byIndex(resultLines(result.stdout))).toEqual([
      { index: 0, value: 'a' },
      { index: 3, value: [1, 2] },
      { index: 4, value: { n: 3 } },
    ]);
    const summary = SUMMARY.exec(result.stderr);
    expect(summary?.slice(1, 3)).toEqual(['3', '0']);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('turns bad JSON lines and failed jobs into error lines, goes on, and exits 1', async () => {
    const input = [
      JSON.stringify({ value: 1 }),
      '{"not": json',
      JSON.stringify({ fail: 'plain error' }),
      JSON.stringify({ code: 'E_CUSTOM' }),
      JSON.stringify({ bigint: true }),
      JSON.stringify({ undefined: true }),
      JSON.stringify({ value: 2 }),
    ].join('\r\n');
    const result = await runCli(['run', worker, '--workers', '2'], { input });
    expect(result.code).toBe(1);
    const lines = byIndex(resultLines(result.stdout));
    expect(lines.map((line) => line.error?.code ?? line.value)).toEqual([1, 'ERR_BAD_INPUT', 'ERR_JOB_FAILED', 'E_CUSTOM', 'ERR_BAD_OUTPUT', null, 2]);
    expect(lines[2]?.error?.message).toBe('plain error');
    expect(SUMMARY.exec(result.stderr)?.slice(1, 3)).toEqual(['3', '4']);
  });

  it('maps --timeout and --retries onto the pool', async () => {
    const input = jsonl([{ ms: 5000 }, { value: 'quick' }]);
    const result = await runCli(['run', worker, '--workers', '1', '--timeout', '300', '--retries', '1'], { input });
    expect(result.code).toBe(1);
    const lines = byIndex(resultLines(result.stdout));
    expect(lines[0]?.error?.code).toBe('ERR_JOB_TIMEOUT');
    expect(lines[1]).toEqual({ index: 1, value: 'quick' });
  });

  it('--max-jobs-per-worker replaces workers after that many jobs', async () => {
    const pidWorker = fixture('cli-pid.mjs');
    const result = await runCli(['run', pidWorker, '--workers', '1', '--max-jobs-per-worker', '2', '--ordered'], { input: jsonl([1, 2, 3, 4, 5]) });
    expect(result.code).toBe(0);
    const pids = resultLines(result.stdout).map((line) => line.value);
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).not.toBe(pids[1]);
    expect(pids[2]).toBe(pids[3]);
    expect(pids[4]).not.toBe(pids[3]);
  });

  it('--ordered writes in input order even when later jobs finish first', async () => {
    // Uneven sleeps over three workers: completion order differs from input order.
    const jobs = Array.from({ length: 150 }, (_, i) => ({ ms: (i * 7) % 13, value: i }));
    const ordered = await runCli(['run', worker, '--workers', '3', '--ordered'], { input: jsonl(jobs) });
    expect(ordered.code).toBe(0);
    expect(resultLines(ordered.stdout)).toEqual(jobs.map((_, index) => ({ index, value: index })));
  });

  it('reads --input and writes --output, leaving stdout empty', async () => {
    const inputFile = join(dir, 'jobs.jsonl');
    const outputFile = join(dir, 'results.jsonl');
    writeFileSync(inputFile, jsonl([{ value: 'x' }, { value: 'y' }]));
    const result = await runCli(['run', worker, '--input', inputFile, '--output', outputFile, '--ordered', '-w', '1']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(resultLines(readFileSync(outputFile, 'utf8'))).toEqual([
      { index: 0, value: 'x' },
      { index: 1, value: 'y' },
    ]);
  });

  it('an empty input is a successful run of no jobs', async () => {
    const result = await runCli(['run', worker, '--workers', '1'], { input: '' });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    expect(SUMMARY.exec(result.stderr)?.slice(1, 3)).toEqual(['0', '0']);
  });
});
