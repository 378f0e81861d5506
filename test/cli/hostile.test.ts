// The CLI survives what killed it before: a worker error named after an Object.prototype member.
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';
import { SUMMARY, resultLines, runCli } from './run-cli.js';

const NAMES = ['toString', 'hasOwnProperty', '__proto__', 'valueOf', 'constructor'];

describe('forkpool run, with poison error names', () => {
  it('writes an error line for each, goes on with the later lines, and prints its summary', async () => {
    const input = [...NAMES.map((name) => JSON.stringify({ stage: 'throw', how: 'name', name })), JSON.stringify('later')].join('\n');
    const result = await runCli(['run', fixture('hostile-channel.mjs'), '--workers', '1'], { input });
    expect(result.code).toBe(1);
    const lines = resultLines(result.stdout).sort((a, b) => a.index - b.index);
    expect(lines).toHaveLength(NAMES.length + 1);
    for (const line of lines.slice(0, NAMES.length)) expect(line.error?.message).toBe('thrown with name');
    expect(lines[NAMES.length]?.value).toMatchObject({ echo: 'later' });
    expect(SUMMARY.exec(result.stderr)?.slice(1, 3)).toEqual(['1', String(NAMES.length)]);
  });
});
