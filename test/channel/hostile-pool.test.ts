// Fuzz and probes against real children: whatever a worker writes to its channel, the parent
// stays up, every job settles with an Error (coded) within a bound, and the pool serves the next job.
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Pool, type WorkerExitEvent } from '../../dist/index.js';
import { fixture, track } from '../helpers.js';
import { frameBytes, hostileBytes, type Hostile } from './hostile.js';
import { Kind } from '../../dist/channel/messages.js';

const WORKER = fixture('hostile-channel.mjs');
/** Job and start limits of the fuzzed pools: garbage that looks like the start of a frame is waited on until one of them. */
const LIMIT_MS = 2000;
/** How long any job may take to settle in these tests: the limits above plus a kill, a respawn and a slow machine. */
const BOUND_MS = 20_000;

const dir = mkdtempSync(join(tmpdir(), 'forkpool-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let tokens = 0;
function token(): string {
  const file = join(dir, `token-${++tokens}`);
  writeFileSync(file, '');
  return file;
}

/** Settles within BOUND_MS or fails the test (instead of hanging it). */
async function settle<T>(promise: Promise<T>, what: string): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${BOUND_MS} ms`)), BOUND_MS);
  });
  try {
    return await Promise.race([promise.then((value) => ({ ok: true as const, value }), (error: unknown) => ({ ok: false as const, error })), bound]);
  } finally {
    clearTimeout(timer);
  }
}

const POISON_NAMES = ['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'];

/** A rejection must be an Error with a code, or the poison record's rebuilt Error (what the "worker" said it threw). */
function expectCodedError(error: unknown, what: string): void {
  expect(error, what).toBeInstanceOf(Error);
  const { code, name, message } = error as Error & { code?: unknown };
  if (message === 'poison') expect(POISON_NAMES, what).toContain(name);
  else expect(code, `${what}: ${message}`).toMatch(/^ERR_/);
}

function hostileJob(stage: string, hostile: Hostile) {
  return { stage, hostile: hostile.bytes.toString('hex'), idAt: hostile.idAt };
}

/**
 * The pool serves on. The job right after the hostile bytes may still go to the worker that sent
 * them (bytes after an answer are only seen to be garbage once the next answer follows them, and a
 * worker that lied about a job's end is still busy with it): it settles, with a coded error if it
 * fails, and the job after it is served.
 */
async function expectServes(pool: Pool, what: string): Promise<void> {
  const next = await settle(pool.run('next'), `${what}: the next job`);
  if (next.ok) {
    expect(next.value, `${what}: the next job`).toMatchObject({ echo: 'next' });
    return;
  }
  expectCodedError(next.error, `${what}: the next job`);
  const after = await settle(pool.run('after'), `${what}: the job after the next`);
  expect(after, `${what}: the job after the next`).toMatchObject({ ok: true, value: { echo: 'after' } });
}

describe('a worker that writes hostile bytes to its channel (fuzz, real children)', () => {
  it('mid-job, then its real answer: the job settles, with a coded error if it fails, and the pool serves on', async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 1, timeout: LIMIT_MS, startTimeout: LIMIT_MS, maxStartFailures: 1000 }));
    await fc.assert(
      fc.asyncProperty(hostileBytes, async (hostile) => {
        const outcome = await settle(pool.run(hostileJob('mid-job', hostile)), hostile.what);
        if (outcome.ok) {
          if (!hostile.mayAnswer) expect(outcome.value, hostile.what).toBe('answer');
        } else expectCodedError(outcome.error, hostile.what);
        await expectServes(pool, hostile.what);
      }),
      { numRuns: 40 },
    );
  }, 300_000);

  it('mid-job, then silence: the job settles with a coded error, and the pool serves on', async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 1, timeout: LIMIT_MS, startTimeout: LIMIT_MS, maxStartFailures: 1000 }));
    await fc.assert(
      fc.asyncProperty(hostileBytes, async (hostile) => {
        const outcome = await settle(pool.run(hostileJob('silent', hostile)), hostile.what);
        if (!hostile.mayAnswer) expect(outcome.ok, hostile.what).toBe(false);
        if (!outcome.ok) expectCodedError(outcome.error, hostile.what);
        await expectServes(pool, hostile.what);
      }),
      { numRuns: 12 },
    );
  }, 300_000);

  it('right after its answer: the answer stands, and the pool serves on', async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 1, timeout: LIMIT_MS, startTimeout: LIMIT_MS, maxStartFailures: 1000 }));
    await fc.assert(
      fc.asyncProperty(hostileBytes, async (hostile) => {
        const outcome = await settle(pool.run(hostileJob('after', hostile)), hostile.what);
        expect(outcome, hostile.what).toMatchObject({ ok: true, value: 'answer' });
        await expectServes(pool, hostile.what);
      }),
      { numRuns: 12 },
    );
  }, 300_000);

  it('on the reclaim channel (fd 5), mid-job: the job settles, with a coded error if it fails, and the pool serves on', async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 1, timeout: LIMIT_MS, startTimeout: LIMIT_MS, maxStartFailures: 1000 }));
    const exits: string[] = [];
    pool.on('workerExit', (event: WorkerExitEvent) => exits.push(event.reason));
    // An unsolicited RECLAIMED (it would hand back jobs the worker still runs), a RECLAIM (a
    // parent's kind), then fuzz.
    const forged = [frameBytes(Kind.RECLAIMED, 0, Buffer.alloc(0)), frameBytes(Kind.RECLAIM, 0, Buffer.alloc(0))];
    for (const bytes of forged) {
      const outcome = await settle(pool.run({ ...hostileJob('mid-job', { what: 'forged', bytes, idAt: [], mayAnswer: true }), fd: 5 }), 'forged reclaim frame');
      if (!outcome.ok) expectCodedError(outcome.error, 'forged reclaim frame');
      await expectServes(pool, 'after a forged reclaim frame');
    }
    expect(exits).toEqual(['protocol', 'protocol']);
    await fc.assert(
      fc.asyncProperty(hostileBytes, async (hostile) => {
        const outcome = await settle(pool.run({ ...hostileJob('mid-job', hostile), fd: 5 }), hostile.what);
        if (!outcome.ok) expectCodedError(outcome.error, hostile.what);
        await expectServes(pool, hostile.what);
      }),
      { numRuns: 8 },
    );
  }, 300_000);

  it('a forged EXITING naming a job it was never sent, then garbage: the job that did it is charged, not requeued forever', async () => {
    // Believed, the goodbye would send the job really running back uncharged, to do it again on
    // every replacement worker (found by the fuzz above).
    const pool = track(new Pool({ worker: WORKER, workers: 1, timeout: LIMIT_MS, maxRetries: 2 }));
    const exits: string[] = [];
    pool.on('workerExit', (event: WorkerExitEvent) => exits.push(event.reason));
    const forged = Buffer.concat([frameBytes(Kind.EXITING, 0x7fffffff, Buffer.from([0])), Buffer.from('junk')]);
    const outcome = await settle(pool.run(hostileJob('mid-job', { what: 'forged EXITING', bytes: forged, idAt: [], mayAnswer: false })), 'forged EXITING');
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect((outcome.error as { code?: string }).code).toBe('ERR_WORKER_CRASHED');
    // One attempt and two retries, each on a worker stopped for its bytes.
    expect(exits).toEqual(['protocol', 'protocol', 'protocol']);
    await expectServes(pool, 'after a forged EXITING');
  }, 60_000);

  for (const stage of ['load', 'init', 'ready'] as const) {
    it(`at ${stage === 'load' ? 'module load' : stage === 'init' ? 'init(), before READY' : 'idle, after READY'}: the first job is served (by the replacement worker if need be)`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileBytes, async (hostile) => {
          const hex = hostile.bytes.toString('hex');
          const file = token();
          const pool = track(
            new Pool({
              worker: WORKER,
              workers: 1,
              timeout: LIMIT_MS,
              startTimeout: LIMIT_MS,
              ...(stage === 'load' ? { env: { ...process.env, HOSTILE_LOAD: hex, HOSTILE_TOKEN: file } } : { initData: { stage, hostile: hex, token: file } }),
            }),
          );
          try {
            // The job settles, and the next one is served. (Before READY the first job should always
            // go to the replacement worker; the engine can still send it to a worker it is killing,
            // see the probe 'INIT_ERROR then READY' below.)
            const first = await settle(pool.run('first'), hostile.what);
            if (first.ok) expect(first.value, hostile.what).toMatchObject({ echo: 'first' });
            else expectCodedError(first.error, hostile.what);
            await expectServes(pool, hostile.what);
          } finally {
            await pool.close({ force: true });
          }
        }),
        { numRuns: 6 },
      );
    }, 300_000);
  }
});

describe('the issue\'s probes, against real children', () => {
  it.each(['toString', 'hasOwnProperty', '__proto__', 'valueOf', 'constructor'])('a worker error named %j rejects the job with an Error of that name; the parent stays up', async (name) => {
    const pool = track(new Pool({ worker: WORKER, workers: 1 }));
    const outcome = await settle(pool.run({ stage: 'throw', how: 'name', name }), name);
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: Error }).error;
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.message).toBe('thrown with name');
    await expectServes(pool, name);
  });

  it.each(['function-name', 'object-stack', 'throwing-getter', 'cyclic-cause'])('a thrown error with a %s reaches the job as that error, not ERR_WORKER_CRASHED', async (how) => {
    const exits: WorkerExitEvent[] = [];
    const pool = track(new Pool({ worker: WORKER, workers: 1 }));
    pool.on('workerExit', (event) => exits.push(event));
    const outcome = await settle(pool.run({ stage: 'throw', how }), how);
    expect(outcome.ok).toBe(false);
    const error = (outcome as { error: Error & { code?: string } }).error;
    expect(error).toBeInstanceOf(Error);
    expect(error.code).not.toBe('ERR_WORKER_CRASHED');
    expect(error.message).toBe(`thrown with ${how}`);
    if (how === 'cyclic-cause') expect(error.cause).toBe(error);
    await expectServes(pool, how);
    expect(exits).toEqual([]);
  });

  it('a job that is an Error with a cyclic cause rejects with ERR_UNSERIALIZABLE', async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 1 }));
    const error = new Error('cyclic');
    error.cause = error;
    await expect(pool.run(error)).rejects.toMatchObject({ code: 'ERR_UNSERIALIZABLE' });
    await expectServes(pool, 'cyclic job');
  });

  it('typed arrays arrive with buffers of their own, both ways, with other jobs in flight', async () => {
    const pool = track(new Pool({ worker: WORKER, workers: 1 }));
    const jobs = Array.from({ length: 20 }, (_, i) =>
      i % 2 === 0 ? pool.run({ stage: 'views', u8: new Uint8Array([1, 2, 3]), f64: new Float64Array(2) }) : pool.run('SECRET-OF-ANOTHER-JOB'),
    );
    const results = await Promise.all(jobs);
    for (const result of results.filter((_, i) => i % 2 === 0) as Array<{ got: unknown; u8: Uint8Array; f64: Float64Array; buffer: Buffer }>) {
      expect(result.got).toEqual([
        { byteOffset: 0, bufferBytes: 3, secret: false },
        { byteOffset: 0, bufferBytes: 16, secret: false },
      ]);
      expect([result.u8.byteOffset, result.u8.buffer.byteLength]).toEqual([0, 3]);
      expect([result.f64.byteOffset, result.f64.buffer.byteLength]).toEqual([0, 16]);
      expect(Buffer.isBuffer(result.buffer)).toBe(true);
      expect(Buffer.from(result.buffer.buffer).includes('SECRET-OF-ANOTHER-JOB')).toBe(false);
    }
  });

  it('"junk" (4 bytes) before the real answer: the worker is stopped as "protocol" at once and the job rejects with ERR_WORKER_CRASHED', async () => {
    const exits: WorkerExitEvent[] = [];
    const pool = track(new Pool({ worker: WORKER, workers: 1 }));
    pool.on('workerExit', (event) => exits.push(event));
    const outcome = await settle(pool.run({ stage: 'mid-job', hostile: Buffer.from('junk').toString('hex') }), 'junk');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ERR_WORKER_CRASHED' } });
    expect(exits.map((e) => e.reason)).toEqual(['protocol']);
    await expectServes(pool, 'junk');
  });

  // The parent reads a child's channel with per-kind limits (channel/limits.ts).
  it('"abcd\\x1b[0m" before the real answer: refused at its header (an RSS frame claiming 1.7 GB), not waited on', async () => {
    const exits: WorkerExitEvent[] = [];
    // The timeout only bounds the test while the engine waits: the assertions below need no timeout.
    const pool = track(new Pool({ worker: WORKER, workers: 1, timeout: 4000 }));
    pool.on('workerExit', (event) => exits.push(event));
    const outcome = await settle(pool.run({ stage: 'mid-job', hostile: Buffer.from('abcd\x1b[0m', 'latin1').toString('hex') }), 'colour code');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ERR_WORKER_CRASHED' } });
    expect(exits.map((e) => e.reason)).toEqual(['protocol']);
  });

  // INIT_ERROR from a worker that is not starting is a broken protocol; no job goes to a worker being killed.
  it('an INIT_ERROR frame from a ready worker mid-job: the worker is stopped as "protocol", and the very next job goes to a healthy worker', async () => {
    const exits: WorkerExitEvent[] = [];
    const pool = track(new Pool({ worker: WORKER, workers: 1, timeout: 4000 }));
    pool.on('workerExit', (event) => exits.push(event));
    const initError = Buffer.from([5, 0, 0, 0, 21, 0, 0, 0, 0]);
    const outcome = await settle(pool.run({ stage: 'mid-job', hostile: initError.toString('hex') }), 'INIT_ERROR mid-job');
    expect(outcome.ok || (outcome.error as { code?: string }).code === 'ERR_WORKER_CRASHED').toBe(true);
    const next = await settle(pool.run('next'), 'the next job');
    expect(next).toMatchObject({ ok: true, value: { echo: 'next' } });
    expect(exits.map((e) => e.reason)).toEqual(['protocol']);
  });

  // A READY after the worker's own INIT_ERROR does not make it ready.
  it('INIT_ERROR then READY in one write, before the real READY: the first job is not sent to the worker being killed', async () => {
    const exits: WorkerExitEvent[] = [];
    const initError = Buffer.from([7, 0, 0, 0, 21, 0, 0, 0, 0, 1, 0x7b]);
    const ready = Buffer.from([7, 0, 0, 0, 20, 0, 0, 0, 0, 1, 0x31]);
    const pool = track(new Pool({ worker: WORKER, workers: 1, timeout: 4000, initData: { stage: 'init', hostile: Buffer.concat([initError, ready]).toString('hex'), token: token() } }));
    pool.on('workerExit', (event) => exits.push(event));
    const first = await settle(pool.run('first'), 'the first job');
    expect(first).toMatchObject({ ok: true, value: { echo: 'first' } });
    expect(exits.map((e) => e.reason)).toEqual(['init-failure']);
  });

  // Results are read with a limit of maxMessageSize + the header.
  it('a result header over maxMessageSize is refused at the header: no buffering, the worker stopped as "protocol"', async () => {
    const exits: WorkerExitEvent[] = [];
    const pool = track(new Pool({ worker: WORKER, workers: 1, maxMessageSize: 1024 * 1024, timeout: 4000 }));
    pool.on('workerExit', (event) => exits.push(event));
    const before = process.memoryUsage().rss;
    const outcome = await settle(pool.run({ stage: 'stream', claim: 1.5 * 1024 ** 3, send: 64 * 1024 * 1024 }), 'a 1.5 GiB claim');
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ERR_WORKER_CRASHED' } });
    expect(exits.map((e) => e.reason)).toEqual(['protocol']);
    expect(process.memoryUsage().rss - before).toBeLessThan(32 * 1024 * 1024);
  });
});
