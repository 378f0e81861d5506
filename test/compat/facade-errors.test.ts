import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BossWorkerAsync } from '../../dist/compat/index.js';
import { Prefork } from '../../dist/index.js';
import { childPids, fixture, track, waitFor } from '../helpers.js';
import { bossWorker } from './boss-worker.js';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'forkpool-bwa-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the facades' errors speak the facade's API", () => {
  it('a worker death names maxRetries on new BossWorkerAsync, and maxRetries does retry the job', async () => {
    const plain = bossWorker({ workHandler: fixture('crash-once.mjs'), workerCount: 1 });
    plain.addWork({ marker: join(dir, 'once-a') });
    const died = await plain.getResult();
    expect(died.ERROR).toMatch(/^BossWorkerAsync: worker died: the worker \(pid \d+\) was killed by SIGKILL while running the job \(attempt 1\)/);
    expect(died.ERROR).toContain('new BossWorkerAsync({ workHandler, maxRetries: 2 })');
    expect(died.ERROR).not.toContain('Raise "maxRetries"');

    const retrying = bossWorker({ workHandler: fixture('crash-once.mjs'), workerCount: 1, maxRetries: 1 });
    retrying.addWork({ marker: join(dir, 'once-b') });
    expect(await retrying.getResult()).toEqual({ pid: expect.any(Number) });
    expect(() => new BossWorkerAsync({ workHandler: fixture('crash-once.mjs'), maxRetries: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'maxRetries' }));
  });

  it('getResult() with nothing pending and addWork() after shutDown() name getResult, pending(), addWork and new BossWorkerAsync', async () => {
    const bw = bossWorker({ workHandler: fixture('compat-work.mjs'), workerCount: 1 });
    bw.addWork({ id: 1 });
    await bw.getResult();
    await bw.shutDown();
    const none = await bw.getResult().catch((error: unknown) => error);
    expect(none).toMatchObject({ code: 'ERR_NO_PENDING_JOBS' });
    expect((none as Error).message).toMatch(/^getResult\(\) with no results pending/);
    expect((none as Error).message).toContain('bw.pending()');
    expect((none as Error).message).not.toMatch(/next\(\)|pool\.pending/);
    let closed: unknown;
    try {
      bw.addWork({ id: 2 });
    } catch (error) {
      closed = error;
    }
    expect(closed).toMatchObject({ code: 'ERR_POOL_CLOSED' });
    expect((closed as Error).message).toMatch(/^addWork\(\) after shutDown\(\).*create a new BossWorkerAsync/);
    expect((closed as Error).message).not.toContain('Pool');
  });

  it('a throwing initHandler is named in { ERROR }, with what it threw', async () => {
    const bw = bossWorker({ workHandler: fixture('compat-work.mjs'), initHandler: fixture('compat-init-throws.mjs'), workerCount: 1 });
    bw.addWork({ id: 1 });
    const result = await bw.getResult();
    expect(result.ERROR).toMatch(/^BossWorkerAsync: the workers cannot start: initHandler threw: no database today/);
    expect(result.ERROR).not.toContain('worker module');
  }, 30_000);

  it('a workHandler module that cannot be loaded is named as such', async () => {
    const bw = bossWorker({ workHandler: join(dir, 'missing.mjs'), workerCount: 1 });
    bw.addWork({ id: 1 });
    const result = await bw.getResult();
    expect(result.ERROR).toMatch(/^BossWorkerAsync: the workers cannot start: workHandler module file:.*missing\.mjs could not be loaded/);
  }, 30_000);
});

describe('relative handler paths and timeouts of 0, as in Perl', () => {
  it('a script run from / finds its handlers next to itself; waitAllChildren(0) waits for every child', async () => {
    const { stdout, stderr } = await run(process.execPath, [fixture('compat-relative.mjs')], { cwd: '/', timeout: 30_000 });
    expect(stderr).toBe('');
    const report = JSON.parse(stdout);
    expect(report.cwd).toBe('/');
    expect(report.result).toMatchObject({ id: 'relative', initialised: true });
    // The children take 500 ms to stop after the relayed TERM: 0 is "no timeout", not "poll".
    expect(report.running).toBe(0);
    expect(report.numWorkers).toBe(0);
  });

  it('Prefork.waitAll(0) waits for every child too', async () => {
    let up = 0;
    const p = track(new Prefork({ worker: fixture('prefork-slow-stop.mjs'), maxWorkers: 2, callbacks: { up: () => void up++ } }));
    const started = p.start();
    await waitFor(() => up === 2, 15_000, 'two children up');
    p.interrupt('SIGTERM');
    await expect(started).resolves.toBe('SIGTERM');
    expect(p.numWorkers).toBe(2);
    await expect(p.waitAll(0)).resolves.toBe(0);
    expect(p.numWorkers).toBe(0);
    expect(childPids()).toEqual([]);
  });
});
