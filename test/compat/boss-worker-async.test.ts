import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { BossWorkerAsync } from '../../dist/compat/index.js';
import { childPids, fixture, sleep } from '../helpers.js';
import { bossWorker } from './boss-worker.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('BossWorkerAsync (ported seed tests)', () => {
  it("the SYNOPSIS prints '12' and 'the answer is: 12' once, and nothing else", async () => {
    const { stdout, stderr } = await run(process.execPath, ['examples/compat/synopsis.mjs'], { cwd: root, timeout: 20_000 });
    expect(stdout).toBe('12\nthe answer is: 12\n');
    expect(stderr).toBe('');
  });

  it('returns each of 10 jobs exactly once', async () => {
    const bw = bossWorker({ workHandler: fixture('compat-work.mjs'), initHandler: fixture('compat-init.mjs') });
    bw.addWork(...Array.from({ length: 10 }, (_, id) => ({ id })));
    expect(bw.pending()).toBe(10);
    const ids: number[] = [];
    while (bw.pending()) {
      const result = await bw.getResult();
      expect(result.initialised).toBe(true);
      ids.push(result.id);
    }
    expect(ids.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await bw.shutDown();
    expect(childPids()).toEqual([]);
  });

  it('accepts a custom msgDelimiter (unneeded) and carries it inside the data', async () => {
    const bw = bossWorker({ workHandler: fixture('compat-work.mjs'), msgDelimiter: '|||', readSize: 64 });
    bw.addWork({ data: 'a|||b\0\0\0c' });
    expect(await bw.getResult()).toEqual({ data: 'a|||b\0\0\0c', length: 9 });
  });

  it('1 worker, 3 s timeout: a 4 s job times out and a 2 s job after it succeeds', async () => {
    const bw = bossWorker({ workHandler: fixture('compat-work.mjs'), workerCount: 1, globalTimeout: 3 });
    bw.addWork({ sleep: 4, id: 'slow' }, { sleep: 2, id: 'ok' });
    const first = await bw.getResult();
    const second = await bw.getResult();
    expect(first).toEqual({ ERROR: 'BossWorkerAsync: timed out' });
    expect(second).toMatchObject({ id: 'ok' });
  }, 20_000);

  it('getResultNb returns undefined when nothing is ready, then the result', async () => {
    const bw = bossWorker({ workHandler: fixture('compat-work.mjs'), workerCount: 1 });
    bw.addWork({ sleep: 0.3, id: 1 });
    expect(bw.getResultNb()).toBeUndefined();
    let result: unknown;
    for (let i = 0; i < 300 && result === undefined; i++) {
      result = bw.getResultNb();
      if (result === undefined) await sleep(10);
    }
    expect(result).toMatchObject({ id: 1 });
    expect(bw.pending()).toBe(0);
  });

  it('moves 31 KB and 8 MB payloads', async () => {
    const bw = bossWorker({ workHandler: fixture('compat-work.mjs'), workerCount: 2 });
    for (const size of [31 * 1024, 8 * 1024 * 1024]) {
      const data = 'x'.repeat(size);
      bw.addWork({ data });
      const result = await bw.getResult();
      expect(result.length).toBe(size);
      expect(result.data === data).toBe(true);
    }
  });

  it('work errors, worker deaths and undefined results come back as the seed returns them', async () => {
    const bw = bossWorker({ workHandler: fixture('compat-work.mjs'), workerCount: 2, resultHandler: (r) => (r?.drop ? undefined : r) });
    bw.addWork({ die: 'rattle' });
    expect(await bw.getResult()).toEqual({ ERROR: 'rattle' });
    bw.addWork({ nothing: true });
    expect(await bw.getResult()).toEqual({});
    bw.addWork({ exit: 3 });
    const died = await bw.getResult();
    expect(died.ERROR).toMatch(/^BossWorkerAsync: worker died/);
    bw.addWork({ id: 'after' });
    expect(await bw.getResult()).toMatchObject({ id: 'after' });
  });

  it('function handlers: workers re-run the calling script; init runs in each worker; only the boss prints', async () => {
    const { stdout } = await run(process.execPath, [fixture('compat-script.mjs'), 'many'], { cwd: root, timeout: 20_000 });
    const report = JSON.parse(stdout);
    expect(report.workerPids).toBeGreaterThanOrEqual(1);
    expect({ ...report, workerPids: 'some' }).toEqual({
      squares: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81],
      errors: ['rattle'],
      allInitialised: true,
      strings: 10,
      workerPids: 'some',
      parentIsWorker: false,
      isWorker: false,
    });
  });

  it('validates its options', () => {
    expect(() => new BossWorkerAsync({} as never)).toThrow(/workHandler/);
    expect(() => new BossWorkerAsync({ workHandler: fixture('compat-work.mjs'), workerCount: 0 })).toThrow(/workerCount/);
    expect(() => new BossWorkerAsync({ workHandler: fixture('compat-work.mjs'), globalTimeout: -1 })).toThrow(/globalTimeout/);
  });

  it('shutDown({ force: true }) kills busy workers at once', async () => {
    const bw = new BossWorkerAsync({ workHandler: fixture('compat-work.mjs'), workerCount: 2 });
    bw.addWork({ sleep: 30 }, { sleep: 30 });
    await sleep(300);
    const started = Date.now();
    await bw.shutDown({ force: true });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(childPids()).toEqual([]);
  });
});
