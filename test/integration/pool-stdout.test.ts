import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { Pool } from '../../dist/index.js';
import { fixture } from '../helpers.js';

const run = (mode: string) => spawnSync(process.execPath, [fixture('pool-stdout-script.mjs'), mode], { encoding: 'utf8', timeout: 20_000 });

describe('Pool option stdout', () => {
  it("'inherit' (the default) shares this process's stdout; 'stderr' sends it to stderr; 'ignore' drops it", () => {
    const inherit = run('inherit');
    expect(inherit.stdout).toBe('out:x\nresult:x\n');
    expect(inherit.stderr).toBe('err:x\n');

    const stderr = run('stderr');
    expect(stderr.stdout).toBe('result:x\n');
    expect(stderr.stderr.split('\n').sort()).toEqual(['', 'err:x', 'out:x']);

    const ignore = run('ignore');
    expect(ignore.stdout).toBe('result:x\n');
    expect(ignore.stderr).toBe('err:x\n');
  });

  it('is validated, naming the option', () => {
    expect(() => new Pool({ worker: fixture('echo.mjs'), stdout: 'pipe' as never })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'stdout', message: expect.stringContaining('"inherit", "stderr", "ignore"') }),
    );
  });
});
