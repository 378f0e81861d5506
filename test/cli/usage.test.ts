import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';
import { jsonl, runCli } from './run-cli.js';

const worker = fixture('cli-job.mjs');
const oneJob = jsonl([{ value: 1 }]);

describe('forkpool usage errors exit 2 with a message that says what to fix', () => {
  it('a missing worker module, before any worker starts', async () => {
    const result = await runCli(['run', fixture('cli-does-not-exist.mjs')], { input: oneJob });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/Cannot find the worker module .*cli-does-not-exist\.mjs.*default export is work\(job, ctx\)/);
  });

  it.each([
    ['no default export', 'no-default.mjs', /no default export function/],
    ['a syntax error', 'syntax-error.mjs', /failed to start/],
    ['an init() that throws', 'init-throws.mjs', /cannot connect to the database/],
  ])('an unloadable worker module (%s)', async (_what, file, message) => {
    const result = await runCli(['run', fixture(file), '--workers', '1'], { input: oneJob });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toMatch(/Fix the worker module/);
  });

  it.each([
    [['--workers', '0'], /--workers.*expected an integer >= 1/],
    [['--workers', 'two'], /--workers.*expected an integer >= 1/],
    [['--timeout', '-5'], /unknown option '-5'|--timeout.*expected an integer >= 0/],
    [['--retries', '1.5'], /--retries.*expected an integer >= 0/],
    [['--max-jobs-per-worker', 'x'], /--max-jobs-per-worker.*expected an integer >= 0/],
    [['--frobnicate'], /unknown option '--frobnicate'/],
  ])('a bad option %j', async (args, message) => {
    const result = await runCli(['run', worker, ...args], { input: oneJob });
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(message);
  });

  it('a missing command or worker argument', async () => {
    expect((await runCli([])).code).toBe(2);
    const noWorker = await runCli(['run']);
    expect(noWorker.code).toBe(2);
    expect(noWorker.stderr).toMatch(/worker-module|worker module/i);
  });

  it('a missing --input file or an unwritable --output', async () => {
    const input = await runCli(['run', worker, '--input', fixture('cli-no-such-input.jsonl')]);
    expect(input.code).toBe(2);
    expect(input.stderr).toMatch(/Cannot read --input .*ENOENT/);
    const output = await runCli(['run', worker, '--output', fixture('no-such-dir/out.jsonl')], { input: oneJob });
    expect(output.code).toBe(2);
    expect(output.stderr).toMatch(/Cannot write --output .*ENOENT/);
  });
});

describe('forkpool help', () => {
  it('forkpool --help lists the run command and exits 0', async () => {
    const result = await runCli(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Usage: forkpool/);
    expect(result.stdout).toMatch(/run \[options\]/);
  });

  it('forkpool run --help documents every option, the formats and the exit codes', async () => {
    const result = await runCli(['run', '--help']);
    expect(result.code).toBe(0);
    for (const option of ['--input', '--output', '--workers', '--timeout', '--retries', '--max-jobs-per-worker', '--ordered']) {
      expect(result.stdout).toContain(option);
    }
    for (const text of ['"index"', 'ERR_BAD_INPUT', 'ERR_JOB_FAILED', 'N done, M failed in S s (R jobs/s)', 'Exit codes', '130']) {
      expect(result.stdout).toContain(text);
    }
  });
});
