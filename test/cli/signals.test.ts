import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fixture, isAlive, waitFor } from '../helpers.js';
import { childrenOf } from './proc.js';
import { SUMMARY, collect, jsonl, resultLines, startCli } from './run-cli.js';

const worker = fixture('cli-job.mjs');
const dir = mkdtempSync(join(tmpdir(), 'forkpool-cli-signals-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The CLI runs in its own process group and the signal goes to the whole group, as a
 * terminal's Ctrl-C does: the workers receive it too and must not die mid-job.
 */
function interrupt(pid: number): void {
  process.kill(-pid, 'SIGINT');
}

describe('forkpool run and Ctrl-C', () => {
  // A terminal's Ctrl-C (SIGINT) and timeout(1) or a service manager (SIGTERM) signal the whole
  // group; workers lead their own groups, so only the CLI gets it, and it decides.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`the first ${signal} to the group stops reading input, lets running jobs finish, prints the summary and exits 130`, async () => {
      const cli = startCli(['run', worker, '--workers', '2'], { detached: true });
      const result = collect(cli);
      // stdin stays open: the CLI must not wait for the end of its input.
      cli.stdin?.write(jsonl(Array.from({ length: 10 }, (_, value) => ({ ms: 1000, value }))));
      let stdout = '';
      cli.stdout?.on('data', (chunk: string) => (stdout += chunk));
      await waitFor(() => stdout.includes('\n'), 15_000, 'a first result line');
      const workers = childrenOf(cli.pid as number);
      process.kill(-(cli.pid as number), signal);

      const { code, stdout: out, stderr } = await result;
      expect(code).toBe(130);
      const lines = resultLines(out);
      // The jobs running at the signal finished with their values (none lost as
      // ERR_WORKER_CRASHED); the rest of the input was not run.
      expect(lines.every((line) => line.error === undefined)).toBe(true);
      expect(lines.length).toBeGreaterThanOrEqual(2);
      expect(lines.length).toBeLessThan(10);
      expect(stderr).toMatch(/stopping: no more input is read/);
      expect(SUMMARY.exec(stderr)?.slice(1, 3)).toEqual([String(lines.length), '0']);
      await waitFor(() => workers.every((pid) => !isAlive(pid)), 5000, 'the workers to exit');
    });
  }

  it('a second SIGINT stops at once: workers are killed and unfinished jobs reported', async () => {
    const cli = startCli(['run', worker, '--workers', '2'], { detached: true });
    const result = collect(cli);
    const started = [0, 1].map((i) => join(dir, `started-${i}`));
    cli.stdin?.write(jsonl(started.map((file) => ({ ms: 20_000, started: file }))));
    let stderr = '';
    cli.stderr?.on('data', (chunk: string) => (stderr += chunk));
    await waitFor(() => started.every((file) => existsSync(file)), 15_000, 'both jobs to be running');
    const workers = childrenOf(cli.pid as number);
    interrupt(cli.pid as number);
    await waitFor(() => stderr.includes('stopping:'), 5000, 'the first SIGINT to be handled');
    const secondAt = Date.now();
    interrupt(cli.pid as number);

    const { code, stdout } = await result;
    // Well before the 20 s jobs could have finished.
    expect(Date.now() - secondAt).toBeLessThan(10_000);
    expect(code).toBe(130);
    for (const line of resultLines(stdout)) expect(line.error?.code).toBe('ERR_POOL_CLOSED');
    expect(stderr).toMatch(/stopping now/);
    expect(SUMMARY.test(stderr)).toBe(true);
    await waitFor(() => workers.every((pid) => !isAlive(pid)), 5000, 'the workers to be killed');
  });
});
