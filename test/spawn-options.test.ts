// Spawn options that would fail at spawn are refused when the Pool or Prefork is made, naming the option.
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Pool, Prefork } from '../dist/index.js';
import { fixture, track } from './helpers.js';

const BAD: Array<[string, Record<string, unknown>, string]> = [
  ['cwd is a file', { cwd: '/etc/hostname' }, 'cwd'],
  ['cwd does not exist', { cwd: '/nonexistent/forkpool' }, 'cwd'],
  ['cwd is empty', { cwd: '' }, 'cwd'],
  ['an env value holds a NUL', { env: { A: 'a\0b' } }, 'env'],
  ['an env name holds a NUL', { env: { 'A\0B': 'x' } }, 'env'],
  ['an env value is a number', { env: { PORT: 3000 } }, 'env'],
  ['an env value is an object', { env: { A: {} } }, 'env'],
  ['env is an array', { env: ['A=1'] }, 'env'],
  ['an execArgv flag Node does not know', { execArgv: ['--max-old-space-sise=64'] }, 'execArgv'],
  ['an execArgv entry holds a NUL', { execArgv: ['--no\0pe'] }, 'execArgv'],
  ['an execArgv entry is empty', { execArgv: [''] }, 'execArgv'],
];

describe('spawn options are checked at construction', () => {
  it.each(BAD)('Pool: %s -> ERR_INVALID_OPTION naming it', (_what, options, option) => {
    // maxWorkers alone spawns nothing up front: the check must not wait for the first run().
    expect(() => new Pool({ worker: fixture('echo.mjs'), maxWorkers: 1, ...options })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option }));
  });

  it.each(BAD)('Prefork: %s -> ERR_INVALID_OPTION naming it', (_what, options, option) => {
    expect(() => new Prefork({ worker: fixture('prefork-echo.mjs'), maxWorkers: 1, ...options })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option }));
  });

  it('the message says what to fix', () => {
    expect(() => new Pool({ worker: fixture('echo.mjs'), cwd: '/etc/hostname' })).toThrow(/"\/etc\/hostname" is not a directory/);
    expect(() => new Pool({ worker: fixture('echo.mjs'), env: { PORT: 3000 as unknown as string } })).toThrow(/env\.PORT .* must be strings \(write "3000"\)/);
  });

  it('good values still work: a directory, string env values, known flags (Node and V8, dashes or underscores)', async () => {
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 1, cwd: tmpdir(), env: { ...process.env, EXTRA: 'x', SKIPPED: undefined }, execArgv: ['--max-old-space-size=128', '--stack_size=900', '--no-warnings'] }));
    await expect(pool.run(5)).resolves.toBe(5);
  });

  it('a known flag with a value Node refuses is found at start: ERR_WORKER_INIT with Node\'s own words', async () => {
    const pool = track(new Pool({ worker: fixture('echo.mjs'), workers: 1, maxStartFailures: 1, execArgv: ['--max-old-space-size=abc'] }));
    await expect(pool.run(1)).rejects.toMatchObject({ code: 'ERR_WORKER_INIT', message: expect.stringMatching(/bad option|illegal value/) });
  });

  it('the environment is copied: changing the object later cannot break a spawn', async () => {
    const env: Record<string, string> = { ...(process.env as Record<string, string>) };
    const pool = track(new Pool({ worker: fixture('echo.mjs'), maxWorkers: 1, env }));
    env.LATER = 'a\0b';
    await expect(pool.run(2)).resolves.toBe(2);
  });
});
