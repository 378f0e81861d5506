import type { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { fixture, waitFor } from '../helpers.js';
import { peakRssMiB } from './proc.js';
import { SUMMARY, collect, startCli } from './run-cli.js';

const echo = fixture('cli-job.mjs');

/** Writes `count` lines (or endlessly) with backpressure; returns how many were accepted so far. */
function feed(stdin: Writable, line: (i: number) => string, count = Infinity): { written: () => number } {
  let written = 0;
  let open = true;
  stdin.on('error', () => (open = false));
  stdin.on('close', () => (open = false));
  void (async () => {
    while (open && written < count) {
      const ok = stdin.write(line(written));
      written++;
      if (!ok) await drainOrClose(stdin);
    }
    if (open) stdin.end();
  })();
  return { written: () => written };
}

/** Waits for `drain` or `close`, removing both listeners (a `once('close')` left per drain would pile up). */
function drainOrClose(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.once('drain', done);
    stream.once('close', done);
  });
}

describe('forkpool run in bounded memory', () => {
  it('streams an input larger than its heap, with --ordered, and peak RSS stays bounded', async () => {
    const lines = 40_000;
    const pad = 'x'.repeat(1000);
    // A 32 MiB heap for ~40 MB in and ~40 MB out: reading ahead or buffering results would crash it.
    const cli = startCli(['run', echo, '--workers', '2', '--ordered'], { nodeFlags: ['--max-old-space-size=32'] });
    let received = 0;
    let nextIndex = 0;
    let inOrder = true;
    let partial = '';
    cli.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const part of parts) {
        received++;
        if (!part.startsWith(`{"index":${nextIndex++},"value":`)) inOrder = false;
      }
    });
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, peakRssMiB(cli.pid as number) ?? 0);
    }, 50);
    const done = collect(cli, 60_000);
    feed(cli.stdin as Writable, (i) => `{"value":{"i":${i},"pad":"${pad}"}}\n`, lines);
    const result = await done.finally(() => clearInterval(sampler));

    expect(result.code).toBe(0);
    expect(received).toBe(lines);
    expect(inOrder).toBe(true);
    expect(SUMMARY.exec(result.stderr)?.slice(1, 3)).toEqual([String(lines), '0']);
    // Node's own baseline is ~45 MiB; the input alone is ~40 MB.
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThan(160);
  });

  it('does not read ahead of slow jobs: the input waits in the pipe', async () => {
    const cli = startCli(['run', echo, '--workers', '2'], { detached: false });
    const done = collect(cli);
    // An endless input of slow jobs: only backpressure keeps the writer from racing ahead.
    const writer = feed(cli.stdin as Writable, (i) => `{"ms":20,"value":${i}}\n`);
    let stdout = '';
    cli.stdout?.on('data', (chunk: string) => (stdout += chunk));
    await waitFor(() => stdout.split('\n').length > 50, 15_000, 'fifty results');
    const before = writer.written();
    await new Promise((resolve) => setTimeout(resolve, 500));
    const after = writer.written();
    cli.kill('SIGINT');
    const result = await done;
    expect(result.code).toBe(130);
    // Pipe and stream buffers hold a few thousand of these 25-byte lines; without
    // backpressure the writer would have pushed millions by now.
    expect(before).toBeLessThan(20_000);
    expect(after - before).toBeLessThan(5_000);
  });
});
