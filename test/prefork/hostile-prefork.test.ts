// Fuzz of the Prefork manager's channel with real children: a child that writes hostile bytes is
// stopped (or ends by itself), reaped and reported; the manager stays up and the next child is healthy.
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Prefork, type ChildReapEvent } from '../../dist/index.js';
import { fixture, track } from '../helpers.js';
import { hostileBytes } from '../channel/hostile.js';

const CHILD = fixture('prefork-hostile.mjs');
/** A child that never finishes (garbage that swallowed its final frame, or 'silent') is stopped after this. */
const CHILD_TIMEOUT_MS = 2000;
const BOUND_MS = 20_000;

const dir = mkdtempSync(join(tmpdir(), 'forkpool-prefork-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let tokens = 0;

/** Runs children until two were reaped (the hostile one, then a healthy one); returns their reap events. */
async function twoChildren(env: Record<string, string>): Promise<ChildReapEvent[]> {
  const file = join(dir, `token-${++tokens}`);
  writeFileSync(file, '');
  const events: ChildReapEvent[] = [];
  const manager: Prefork = track(
    new Prefork({
      worker: CHILD,
      maxWorkers: 1,
      env: { ...process.env, ...env, HOSTILE_TOKEN: file },
      callbacks: { echo: (value: unknown) => value },
      childTimeout: CHILD_TIMEOUT_MS,
      killTimeout: 500,
      errRespawnInterval: 0,
      onChildReap: (event) => {
        events.push(event);
        if (events.length === 2) manager.interrupt('SIGUSR2');
      },
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  try {
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`two children were not reaped within ${BOUND_MS} ms (reaped: ${JSON.stringify(events)})`)), BOUND_MS);
    });
    await expect(Promise.race([manager.start(), bound])).resolves.toBe('SIGUSR2');
  } finally {
    clearTimeout(timer);
    await manager.close({ force: true });
  }
  return events;
}

function expectHealthySecond(events: ChildReapEvent[], what: string): void {
  expect(events, what).toHaveLength(2);
  expect(events[1], `${what}: the next child`).toMatchObject({ reason: 'exit', status: 0, finished: true, payload: 'healthy' });
}

describe('Prefork: a child that writes hostile bytes to its channel (fuzz, real children)', () => {
  for (const stage of ['start', 'callback', 'silent'] as const) {
    it(`${stage === 'start' ? 'then returns' : stage === 'callback' ? 'then calls a callback' : 'then waits forever'}: it is reaped and reported, and the next child is healthy`, async () => {
      await fc.assert(
        fc.asyncProperty(hostileBytes, async (hostile) => {
          const events = await twoChildren({ HOSTILE: hostile.bytes.toString('hex'), HOSTILE_STAGE: stage });
          const [first] = events;
          expect(['protocol', 'exit', 'timeout'], hostile.what).toContain(first?.reason);
          if (first?.reason === 'protocol') {
            expect(first.error, hostile.what).toMatchObject({ code: 'ERR_PROTOCOL' });
            // Killed for it, unless it had already exited by itself when its last bytes were read.
            if (first.signal !== null) expect(first.status, hostile.what).toBe(137);
          }
          expectHealthySecond(events, hostile.what);
        }),
        { numRuns: stage === 'start' ? 12 : 6 },
      );
    }, 300_000);
  }

  it('garbage ("junk" before its callback): the child is killed, reaped with reason "protocol" and an ERR_PROTOCOL error', async () => {
    const events = await twoChildren({ HOSTILE: Buffer.from('junk').toString('hex'), HOSTILE_STAGE: 'callback' });
    expect(events[0]).toMatchObject({ reason: 'protocol', status: 137, signal: 'SIGKILL', finished: false, error: { code: 'ERR_PROTOCOL' } });
    expectHealthySecond(events, 'junk');
  });

  it('a frame of a kind no prefork child sends (RESULT): killed and reported the same way', async () => {
    const result = Buffer.from([7, 0, 0, 0, 22, 1, 0, 0, 0, 1, 0x31]);
    const events = await twoChildren({ HOSTILE: result.toString('hex'), HOSTILE_STAGE: 'silent' });
    expect(events[0]).toMatchObject({ reason: 'protocol', error: { code: 'ERR_PROTOCOL' } });
    expectHealthySecond(events, 'RESULT');
  });

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty', 'valueOf'])('a child that throws an Error named %j: reaped with that Error; the manager stays up', async (name) => {
    const events = await twoChildren({ HOSTILE_STAGE: 'throw', HOSTILE_NAME: name });
    expect(events[0]).toMatchObject({ reason: 'exit', status: 1 });
    expect(events[0]?.error).toBeInstanceOf(Error);
    const error = events[0]?.error as Error;
    expect(error.name).toBe(name);
    expect(error.message).toBe('thrown by a prefork child');
    expectHealthySecond(events, name);
  });
});
