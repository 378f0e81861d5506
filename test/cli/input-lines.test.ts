import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';
import { peakRssMiB } from './proc.js';
import { SUMMARY, collect, resultLines, runCli, startCli } from './run-cli.js';

const worker = fixture('cli-job.mjs');
const byIndex = <T extends { index: number }>(lines: T[]): T[] => [...lines].sort((a, b) => a.index - b.index);

describe('forkpool run: input lines it cannot run', () => {
  it('a line over --max-line-bytes becomes ERR_BAD_INPUT with its index, and the lines after it run', async () => {
    const long = JSON.stringify({ value: 'x'.repeat(200) });
    const input = [JSON.stringify({ value: 1 }), long, JSON.stringify({ value: 3 }), long.slice(0, 90), JSON.stringify({ value: 5 })].join('\n');
    const result = await runCli(['run', worker, '--workers', '1', '--max-line-bytes', '100'], { input });
    expect(result.code).toBe(1);
    const lines = byIndex(resultLines(result.stdout));
    expect(lines.map((line) => line.error?.code ?? line.value)).toEqual([1, 'ERR_BAD_INPUT', 3, 'ERR_BAD_INPUT', 5]);
    expect(lines[1]?.error?.message).toContain(`${long.length} bytes, over the limit of 100 (--max-line-bytes)`);
    // 90 bytes fit: that line is only cut JSON.
    expect(lines[3]?.error?.message).toContain('not valid JSON');
    expect(SUMMARY.exec(result.stderr)?.slice(1, 3)).toEqual(['3', '2']);
  });

  it('a line that is not valid UTF-8 becomes ERR_BAD_INPUT (not U+FFFD), and the lines after it run', async () => {
    const bad = Buffer.concat([Buffer.from('{"value":"caf'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const good = (n: number) => Buffer.from(`${JSON.stringify({ value: `é${n}` })}\n`);
    const child = startCli(['run', worker, '--workers', '1']);
    const done = collect(child);
    child.stdin?.end(Buffer.concat([good(0), bad, Buffer.from('\n'), good(2), Buffer.from([0xff, 0x0a]), good(4)]));
    const result = await done;
    expect(result.code).toBe(1);
    const lines = byIndex(resultLines(result.stdout));
    expect(lines.map((line) => line.error?.code ?? line.value)).toEqual(['é0', 'ERR_BAD_INPUT', 'é2', 'ERR_BAD_INPUT', 'é4']);
    expect(lines[1]?.error?.message).toMatch(/not valid UTF-8 \(first bad byte at offset 13\)/);
    expect(lines[3]?.error?.message).toMatch(/offset 0/);
    expect(result.stdout).not.toContain('\ufffd');
  });

  it('a 600 MB line (over the 64 MiB default) is skipped in bounded memory; the lines around it run', async () => {
    const child = startCli(['run', worker, '--workers', '1'], { nodeFlags: ['--max-old-space-size=64'] });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakRssMiB(child.pid as number) ?? 0);
    }, 50);
    const done = collect(child, 120_000).finally(() => clearInterval(sampler));
    const stdin = child.stdin as Writable;
    stdin.on('error', () => undefined);
    const chunk = Buffer.alloc(1 << 20, 'a');
    const write = async (data: Buffer | string) => {
      if (!stdin.write(data)) await new Promise((resolve) => stdin.once('drain', resolve));
    };
    await write(`${JSON.stringify({ value: 'before' })}\n{"value":"`);
    for (let i = 0; i < 600; i++) await write(chunk);
    await write(`"}\n${JSON.stringify({ value: 'after' })}\n`);
    stdin.end();
    const result = await done;
    const lines = byIndex(resultLines(result.stdout));
    expect(lines.map((line) => line.error?.code ?? line.value)).toEqual(['before', 'ERR_BAD_INPUT', 'after']);
    expect(lines[1]?.error?.message).toContain(`${600 * (1 << 20) + 12} bytes, over the limit of 67108864`);
    expect(result.code).toBe(1);
    expect(result.stderr).not.toContain('reading the input failed');
    // Nothing of the line is kept: far below even the 64 MiB a line may have.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(200);
  }, 180_000);

  it('rejects a --max-line-bytes that is not a positive integer', async () => {
    const result = await runCli(['run', worker, '--max-line-bytes', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--max-line-bytes');
  });
});
