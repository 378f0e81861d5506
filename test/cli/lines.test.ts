import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readJobs } from '../../dist/cli/lines.js';

async function jobs(chunks: Buffer[], maxLineBytes?: number) {
  const items = [];
  for await (const item of readJobs(Readable.from(chunks), maxLineBytes)) {
    items.push('job' in item ? { index: item.index, job: item.job } : { index: item.index, code: (item.error as { code?: string }).code, message: item.error.message });
  }
  return items;
}

describe('readJobs over arbitrary chunk boundaries', () => {
  it('joins a multi-byte character split across chunks, and lines split anywhere', async () => {
    const bytes = Buffer.from('{"v":"é"}\n{"v":"日本"}\n\n{"v":3}');
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(await jobs([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual([
        { index: 0, job: { v: 'é' } },
        { index: 1, job: { v: '日本' } },
        { index: 3, job: { v: 3 } },
      ]);
    }
  });

  it('measures a line in bytes across chunks, and a limit below the chunk size still applies to each line', async () => {
    const long = `{"v":"${'x'.repeat(40)}"}`;
    const input = Buffer.from(`{"v":1}\n${long}\n{"v":2}\n`);
    for (const chunks of [[input], [input.subarray(0, 12), input.subarray(12, 30), input.subarray(30)]]) {
      const items = await jobs(chunks, 20);
      expect(items.map((item) => item.code ?? item.job)).toEqual([{ v: 1 }, 'ERR_BAD_INPUT', { v: 2 }]);
      expect(items[1]?.message).toContain(`${long.length} bytes, over the limit of 20`);
    }
  });

  it('reports a bad byte inside one line of a chunk and reads the others of that chunk', async () => {
    const input = Buffer.concat([Buffer.from('{"v":1}\n{"v":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}\n{"v":2}\n')]);
    const items = await jobs([input]);
    expect(items.map((item) => item.code ?? item.job)).toEqual([{ v: 1 }, 'ERR_BAD_INPUT', { v: 2 }]);
    expect(items[1]?.message).toContain('offset 6');
  });
});
