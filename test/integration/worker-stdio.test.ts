// Everything a worker writes to stdout and stderr arrives, even when it exits right after.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';

function runParent(bytes: number, mode: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [fixture('stdio-flood-parent.mjs'), String(bytes), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('latin1').on('data', (chunk) => (stdout += chunk));
  child.stderr.setEncoding('latin1').on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

describe('worker stdio reaches the parent whole', () => {
  for (const [mode, bytes] of [
    ['close', 10 * 1024 * 1024],
    ['recycle', 1024 * 1024],
    ['exit', 10 * 1024 * 1024],
  ] as const) {
    it(`${bytes / 1024 / 1024} MiB of stderr, then ${mode}`, async () => {
      const { code, stdout, stderr } = await runParent(bytes, mode);
      expect(code).toBe(0);
      const count = (stderr.match(/e/g) ?? []).length;
      // The recycle run's second job writes 10 more.
      expect(count).toBe(mode === 'recycle' ? bytes + 10 : bytes);
      expect(stderr).toContain('END-a\n');
      expect(stdout).toContain('OUT-a\n');
    }, 60_000);
  }
});
