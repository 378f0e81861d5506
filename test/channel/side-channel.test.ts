import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { existsSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, encodeValueParts, TAG_FILE } from '../../dist/channel/codec.js';
import {
  isSideReference,
  removeSideFilesOf,
  resolveSidePayload,
  SIDE_CHANNEL_MIN_BYTES,
  sideChannelDirectory,
  SideFiles,
} from '../../dist/channel/side-channel.js';
import { Pool, WorkerCrashedError, type WorkerExitEvent } from '../../dist/index.js';
import { fixture, track, waitFor } from '../helpers.js';

const MIB = 1024 * 1024;
const dir = sideChannelDirectory() as string;

/** Side-channel files in the directory whose writer is one of `pids` (this process and its workers). */
function filesOf(pids: Iterable<number>): string[] {
  const wanted = new Set(pids);
  return readdirSync(dir).filter((name) => {
    const match = /^forkpool-(\d+)-/.exec(name);
    return match !== null && wanted.has(Number(match[1]));
  });
}

/** A pool whose workers' pids are all remembered, so that their files can be counted after they died. */
function watchedPool(options: ConstructorParameters<typeof Pool>[0]) {
  const pool = track(new Pool(options));
  const pids = new Set<number>([process.pid]);
  const exits: WorkerExitEvent[] = [];
  pool.on('workerSpawn', (event) => {
    if (event.pid !== undefined) pids.add(event.pid);
  });
  pool.on('workerExit', (event) => exits.push(event));
  const files = () => {
    for (const pid of pool.pids) pids.add(pid);
    return filesOf(pids);
  };
  return { pool, pids, exits, files };
}

function bigBuffer(size: number): Buffer {
  return randomFillSync(Buffer.allocUnsafe(size));
}

/** A string of `units` UTF-16 units, with 2-, 3- and 4-byte UTF-8 characters in it. */
function bigString(units: number): string {
  return 'aé€😀'.repeat(Math.ceil(units / 5)).slice(0, units);
}

function bigObject(): Record<string, unknown> {
  const list = Array.from({ length: 60_000 }, (_, i) => ({ i, name: `item-${i}`, tags: ['a', 'b'], ratio: i / 7 }));
  return { list, nested: { deep: { text: bigString(300_000) } } };
}

/**
 * Exact equality (type, prototype, bytes) without vitest's element-by-element walk, which takes
 * minutes on multi-megabyte buffers.
 */
function expectSame(actual: unknown, expected: unknown): void {
  if (expected instanceof Uint8Array) {
    expect((actual as object | null)?.constructor).toBe(expected.constructor);
    expect(Buffer.compare(actual as Uint8Array, expected)).toBe(0);
  } else if (typeof expected === 'string') {
    expect(typeof actual).toBe('string');
    expect((actual as string).length).toBe(expected.length);
    expect(actual === expected).toBe(true);
  } else if (expected instanceof Map) {
    expect(actual).toBeInstanceOf(Map);
    const map = actual as Map<unknown, unknown>;
    expect([...map.keys()]).toStrictEqual([...expected.keys()]);
    for (const [key, value] of expected) expectSame(map.get(key), value);
  } else if (Array.isArray(expected)) {
    expect(Array.isArray(actual)).toBe(true);
    expect((actual as unknown[]).length).toBe(expected.length);
    // Long arrays here hold JSON data only: compare their text.
    if (expected.length > 64) expect(JSON.stringify(actual) === JSON.stringify(expected)).toBe(true);
    else expected.forEach((item, i) => expectSame((actual as unknown[])[i], item));
  } else if (expected !== null && typeof expected === 'object' && Object.getPrototypeOf(expected) === Object.prototype) {
    expect(Object.getPrototypeOf(actual)).toBe(Object.prototype);
    expect(Object.keys(actual as object)).toStrictEqual(Object.keys(expected));
    for (const key of Object.keys(expected)) expectSame((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key]);
  } else {
    expect(actual).toStrictEqual(expected);
  }
}

describe('side channel: the module', () => {
  it('picks /dev/shm when it is there', () => {
    expect(dir).toEqual(existsSync('/dev/shm') ? '/dev/shm' : expect.any(String));
  });

  it('leaves small payloads inline', () => {
    const files = new SideFiles();
    for (const value of [undefined, 1, 'text', { a: [1, 2] }, Buffer.alloc(1000), Buffer.alloc(SIDE_CHANNEL_MIN_BYTES - 3)]) {
      const bytes = encodeValue(value);
      expect(bytes.length).toBeLessThan(SIDE_CHANNEL_MIN_BYTES);
      expect(files.wrap(bytes)).toBe(bytes);
      const parts = encodeValueParts(value);
      expect(files.wrap(parts.length === 1 ? parts[0] : parts).equals(bytes)).toBe(true);
    }
    expect(files.size).toBe(0);
    expect(filesOf([process.pid])).toEqual([]);
  });

  it('sends big payloads as a small reference to a file that the receiver reads once and removes', () => {
    const files = new SideFiles();
    const values: unknown[] = [
      bigBuffer(8 * MIB),
      new Uint8Array(bigBuffer(2 * MIB)),
      bigBuffer(SIDE_CHANNEL_MIN_BYTES - 2), // exactly the threshold once encoded
      bigString(3 * MIB),
      bigObject(),
      new Map([[1, bigBuffer(MIB)], [2, bigBuffer(MIB)]]),
    ];
    for (const value of values) {
      const bytes = encodeValue(value);
      expect(bytes.length).toBeGreaterThanOrEqual(SIDE_CHANNEL_MIN_BYTES);
      const ref = files.wrap(bytes);
      expect(ref[0]).toBe(TAG_FILE);
      expect(isSideReference(ref)).toBe(true);
      expect(ref.length).toBeLessThan(200);
      expect(filesOf([process.pid])).toHaveLength(1);
      const back = resolveSidePayload(ref);
      expect(back.equals(bytes)).toBe(true);
      expect(filesOf([process.pid])).toEqual([]);
      // The codec reads a reference too (the fallback path).
      const again = files.wrap(bytes);
      expectSame(decodeValue(again), value);
      expect(filesOf([process.pid])).toEqual([]);
    }
  });

  it('writes a head and a body without joining them, with the same bytes as encodeValue', () => {
    const files = new SideFiles();
    for (const value of [bigBuffer(3 * MIB), new Uint8Array(2 * MIB).fill(7), new Map([['k', bigString(MIB)]])]) {
      const parts = encodeValueParts(value);
      expect(parts).toHaveLength(2);
      const ref = files.wrap(parts as [Buffer, Uint8Array]);
      expect(ref[0]).toBe(TAG_FILE);
      expect(resolveSidePayload(ref).equals(encodeValue(value))).toBe(true);
    }
  });

  it('discard() removes what the peer never read; removeSideFilesOf() removes a dead writer’s leftovers', () => {
    const files = new SideFiles();
    const refs = [files.wrap(encodeValue(bigBuffer(2 * MIB))), files.wrap(encodeValue(bigBuffer(2 * MIB)))];
    resolveSidePayload(refs[0] as Buffer);
    expect(filesOf([process.pid])).toHaveLength(1);
    files.discard();
    expect(filesOf([process.pid])).toEqual([]);
    // An unreadable reference is passed on unchanged, and decoding it fails.
    expect(resolveSidePayload(refs[1] as Buffer)).toBe(refs[1]);
    expect(() => decodeValue(refs[1] as Buffer)).toThrow(/gone/);

    const fakePid = 2 ** 22 + 12345; // above the usual pid_max: no live process writes these
    const other = join(dir, `forkpool-${fakePid}1-keep`);
    writeFileSync(join(dir, `forkpool-${fakePid}-a`), 'x');
    writeFileSync(other, 'x');
    try {
      removeSideFilesOf(fakePid);
      expect(filesOf([fakePid])).toEqual([]);
      expect(existsSync(other)).toBe(true);
    } finally {
      unlinkSync(other);
    }
  });
});

describe('side channel: through a real pool', () => {
  it('round-trips big Buffers, Uint8Arrays, strings and objects exactly, and leaves no file', async () => {
    const { pool, files } = watchedPool({ worker: fixture('echo.mjs'), workers: 2 });
    const values: unknown[] = [
      bigBuffer(8 * MIB),
      new Uint8Array(bigBuffer(3 * MIB)),
      bigString(4 * MIB),
      bigObject(),
      { buffers: [bigBuffer(MIB), bigBuffer(MIB)], when: new Date(0), big: 10n ** 30n },
      Buffer.from('small'),
      { small: true },
    ];
    for (let round = 0; round < 2; round++) {
      const results = await Promise.all(values.map((value) => pool.run(value)));
      results.forEach((result, i) => expectSame(result, values[i]));
      expect(Buffer.isBuffer(results[0])).toBe(true);
      expect(Buffer.isBuffer(results[1])).toBe(false);
    }
    expect(files()).toEqual([]);
    // Many 8 MiB jobs in flight both ways.
    const payload = bigBuffer(8 * MIB);
    const echoed = await Promise.all(Array.from({ length: 8 }, () => pool.run(payload)));
    for (const result of echoed) expect((result as Buffer).equals(payload)).toBe(true);
    expect(files()).toEqual([]);
    await pool.close();
    expect(files()).toEqual([]);
  });

  it('works with the side-channel fixture too (big results from small jobs)', async () => {
    const { pool, files } = watchedPool({ worker: fixture('side-channel.mjs'), workers: 1 });
    const made = (await pool.run({ op: 'make', size: 8 * MIB, fill: 3 })) as Buffer;
    expect(made.equals(Buffer.alloc(8 * MIB, 3))).toBe(true);
    await pool.close();
    expect(files()).toEqual([]);
  });

  it('leaves no file when the worker dies (SIGKILL) right after receiving a big job', async () => {
    const { pool, exits, files } = watchedPool({ worker: fixture('side-channel.mjs'), workers: 1 });
    await pool.run('warm');
    const error = await pool.run({ op: 'crash', data: bigBuffer(8 * MIB) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    await waitFor(() => exits.length === 1, 5000, 'the crashed worker to be reaped');
    expect(files()).toEqual([]);
  });

  it('removes a big job the worker never read when it is killed before reading it', async () => {
    const { pool, exits, files } = watchedPool({ worker: fixture('side-channel.mjs'), workers: 1 });
    await pool.run('warm');
    const [pid] = pool.pids;
    const outcome = pool.run(bigBuffer(8 * MIB)).catch((e: unknown) => e);
    // Dispatch wrote the file synchronously; the frame naming it is not even sent yet.
    expect(files()).toHaveLength(1);
    process.kill(pid as number, 'SIGKILL');
    expect(await outcome).toBeInstanceOf(WorkerCrashedError);
    await waitFor(() => exits.length === 1, 5000, 'the killed worker to be reaped');
    expect(files()).toEqual([]);
  });

  it('removes the files a dead worker wrote but whose frames never arrived', async () => {
    const { pool, exits, files } = watchedPool({ worker: fixture('side-channel.mjs'), workers: 1 });
    await pool.run('warm');
    const [pid] = pool.pids;
    const error = await pool.run({ op: 'leave', dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerCrashedError);
    await waitFor(() => exits.length === 1, 5000, 'the crashed worker to be reaped');
    expect(filesOf([pid as number])).toEqual([]);
    expect(files()).toEqual([]);
  });

  it('leaves no file after a forced close with big jobs read, unread and queued', async () => {
    const { pool, files } = watchedPool({ worker: fixture('side-channel.mjs'), workers: 2 });
    await Promise.all([pool.run('warm'), pool.run('warm')]);
    const outcomes = [pool.run({ op: 'spin', ms: 3000, data: bigBuffer(8 * MIB) }).catch((e: unknown) => e)];
    // The first worker has read its job once the file is gone.
    await waitFor(() => files().length === 0, 5000, 'the spinning worker to read its job');
    outcomes.push(pool.run(bigBuffer(8 * MIB)).catch((e: unknown) => e));
    outcomes.push(pool.run(bigBuffer(8 * MIB)).catch((e: unknown) => e));
    expect(files().length).toBeGreaterThanOrEqual(1);
    await pool.close({ force: true });
    for (const outcome of await Promise.all(outcomes)) expect(outcome).toBeInstanceOf(Error);
    expect(files()).toEqual([]);
  });

  it('removes files for workers that never read them when the parent process exits abruptly', () => {
    const script = `
      import { Pool } from ${JSON.stringify(new URL('../../dist/index.js', import.meta.url).href)};
      const pool = new Pool({ worker: ${JSON.stringify(fixture('side-channel.mjs'))}, workers: 1 });
      await pool.run('warm');
      pool.run(Buffer.alloc(${8 * MIB}, 1)).catch(() => {});
      process.stdout.write(String(pool.pids[0]));
      process.exit(0);
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(child.status).toBe(0);
    const workerPid = Number(child.stdout);
    expect(workerPid).toBeGreaterThan(0);
    expect(filesOf([child.pid as number])).toEqual([]);
  });
});
