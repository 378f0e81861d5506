import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';

describe('onAbort (one listener per AbortSignal)', () => {
  it('100 watchers of one signal warn nothing; released ones do not run; the rest run once', () => {
    const run = spawnSync(process.execPath, [fixture('shared-abort.mjs')], { encoding: 'utf8', timeout: 10_000 });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('50\n');
  });
});
