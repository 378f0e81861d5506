import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collect } from './run-cli.js';

const START = fileURLToPath(new URL('../../examples/primes/start.js', import.meta.url));

describe('examples/primes (what npm start runs)', () => {
  it('generates prime-search jobs, runs them through forkpool run and shows the results', async () => {
    const child = spawn(process.execPath, [START], { env: { ...process.env, JOBS: '300' }, stdio: ['ignore', 'pipe', 'pipe'] });
    const result = await collect(child);
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/^300 done, 0 failed in \d+\.\d+ s/m);
    expect(result.stdout).toMatch(/First results \(of 300/);
    expect(result.stdout).toContain('{"index":0,"value":{"from":10000000,"to":10002000,"count":121,"largest":10001963}}');
  });
});
