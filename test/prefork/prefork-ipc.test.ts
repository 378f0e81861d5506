import { describe, expect, it } from 'vitest';
import { PreforkIPC } from '../../dist/compat/index.js';
import { fixture } from '../helpers.js';
import { runScript } from './script.js';

describe('PreforkIPC (the seed facade, run as the calling script re-run in each child)', () => {
  it('01-base: the 10th child to say hello (count == maxWorkers) sends TERM to managerPid; each child gets the relayed TERM once, calls back and finishes', async () => {
    const script = runScript(fixture('prefork-ipc-01-base.mjs'));
    const done = await script.message((m) => m.done);
    expect(done.running).toBe(0);
    expect(done.signal).toBe('TERM');
    expect(done.hellos).toBe(10);
    expect(done.reaped).toHaveLength(10);
    expect(done.reaped.map((r: { payload: { count: number } }) => r.payload.count).sort((a: number, b: number) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const { kidpid, status, payload } of done.reaped) {
      expect(status).toBe(0);
      // The child called back after the TERM, during shutdown, and was answered; its copy of the
      // object answered like the manager's.
      expect(payload).toEqual({ terms: 1, ack: { kidpid, terms: 1 }, pid: kidpid, count: payload.count, maxWorkers: 10, managerPid: done.managerPid });
    }
    expect(done.listenersDuring).toBe(done.listenersBefore + 1);
    expect(done.listenersAfter).toBe(done.listenersBefore);
    await expect(script.exit).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);

  it('02-reconfigure: a child sends HUP (relayed as TERM): one reload; a child of the next generation sends TERM: the loop ends', async () => {
    const script = runScript(fixture('prefork-ipc-02-reconfigure.mjs'));
    const done = await script.message((m) => m.done);
    expect(done.reloads).toBe(2);
    expect(done.hellos).toEqual({ 1: 3, 2: 3 });
    expect(done.signal).toBe('TERM');
    // Every child died of the relayed TERM: 128 + 15.
    expect(done.reaped).toEqual([143, 143, 143, 143, 143, 143]);
    await expect(script.exit).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);

  it('06: with 30 children needing 1, 2 or 3 TERMs, waitAllChildren(1) returns 20, then 10, and kills nothing', async () => {
    const script = runScript(fixture('prefork-ipc-06-wait.mjs'));
    const done = await script.message((m) => m.done, 80_000);
    expect(done.counts).toEqual([20, 10, 0]);
    await expect(script.exit).resolves.toEqual({ code: 0, signal: null });
  }, 90_000);

  it.each(['squares', 'module'])('08: final payloads i ** 2 for i = 1..10 sum to 385 (%s)', async (mode) => {
    const script = runScript(fixture('prefork-ipc-08-payloads.mjs'), [mode]);
    const done = await script.message((m) => m.done);
    expect(done.signal).toBe('USR1');
    expect(done.payloads).toHaveLength(10);
    expect(done.sum).toBe(385);
    expect(done.payloads.every((p: { status: number }) => p.status === 0)).toBe(true);
  }, 60_000);

  it('08: falsy final payloads survive', async () => {
    const script = runScript(fixture('prefork-ipc-08-payloads.mjs'), ['falsy']);
    const done = await script.message((m) => m.done);
    expect(done.payloads.map((p: { payload: string }) => p.payload).sort()).toEqual(['""', '0', 'false', 'null', 'undefined']);
  }, 60_000);

  it('09: a number, no payload, undefined and nested objects round-trip; handlers get (ppi, kidpid, payload)', async () => {
    const script = runScript(fixture('prefork-ipc-09-callbacks.mjs'));
    const done = await script.message((m) => m.done);
    const { kidpid, status, payload } = done.result;
    expect(status).toBe(0);
    expect(payload.pid).toBe(kidpid);
    expect(payload.back).toEqual({ number: '42', none: 'undefined', undef: 'undefined', nested: { a: [1, { b: 'two' }], c: { d: { e: null } } } });
    expect(done.received).toHaveLength(4);
    for (const call of done.received) expect(call).toMatchObject({ same: true, kidpid, args: 1 });
    expect(done.received.map((call: { payload: string }) => call.payload)).toEqual(['42', 'undefined', 'undefined', '{"a":[1,{"b":"two"}],"c":{"d":{"e":null}}}']);
  }, 60_000);

  it('10: callbackTimeout: 1 fails a 20 s handler in the child in about a second', async () => {
    const script = runScript(fixture('prefork-ipc-10-timeout.mjs'));
    const done = await script.message((m) => m.done);
    const { code, elapsed } = done.result.payload;
    expect(code).toBe('ERR_CALLBACK_TIMEOUT');
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(elapsed).toBeLessThan(5000);
  }, 60_000);

  it('refuses child-only calls in the manager and validates options', async () => {
    const ppi = new PreforkIPC({ maxWorkers: 2, worker: fixture('prefork-echo.mjs') });
    expect(() => ppi.finish()).toThrow(expect.objectContaining({ code: 'ERR_PREFORK_CHILD_ONLY' }));
    await expect(ppi.callback('x')).rejects.toMatchObject({ code: 'ERR_PREFORK_CHILD_ONLY' });
    expect(ppi.managerPid).toBe(process.pid);
    expect(ppi.signalReceived()).toBe('');
    expect(ppi.numWorkers()).toBe(0);
    await expect(ppi.waitAllChildren(0)).resolves.toBe(0);
    ppi.maxWorkers = 4;
    expect(ppi.maxWorkers).toBe(4);
    expect(() => new PreforkIPC({ callbackTimeout: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'callbackTimeout' }));
    expect(() => new PreforkIPC({ trapSignals: { TERM: 'BOGUS' } })).toThrow(expect.objectContaining({ option: 'trapSignals' }));
    expect(() => new PreforkIPC({ max_workers: 3 } as never)).toThrow(expect.objectContaining({ option: 'max_workers' }));
  });
});

describe("the seed's SYNOPSIS, ported", () => {
  it('reloads on USR1, stores every final payload and ends on TERM', async () => {
    const script = runScript(fixture('prefork-ipc-synopsis.mjs'));
    const done = await script.message((m) => m.done, 50_000);
    expect(Object.keys(done.stored).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
    for (const [name, entry] of Object.entries(done.stored)) expect((entry as { data: string }).data).toBe(name.toUpperCase());
    expect(done.events).toBe(8);
    expect(done.connections).toBe(2);
    expect(done.signal).toBe('TERM');
    await expect(script.exit).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);
});

describe('PreforkIPC in a child answers like the copy fork() made', () => {
  it("maxWorkers is the manager's value at spawn (set by its reload code), options and managerPid as built", async () => {
    const script = runScript(fixture('prefork-ipc-accessors.mjs'));
    const done = await script.message((m) => m.done);
    const finished = done.reaped.filter((r: { status: number }) => r.status === 0);
    expect(finished.filter((r: { generation: number }) => r.generation === 1).length).toBeGreaterThanOrEqual(2);
    expect(finished.filter((r: { generation: number }) => r.generation === 2).length).toBeGreaterThanOrEqual(3);
    for (const { maxWorkers, payload } of finished) {
      // The child's own run of the reload code computed 2; start() gave it the manager's value.
      expect(payload).toEqual({ before: 2, maxWorkers, optionsMaxWorkers: 1, managerPid: done.managerPid, inChild: true });
    }
    expect(finished.some((r: { maxWorkers: number }) => r.maxWorkers === 3)).toBe(true);
    await expect(script.exit).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);
});
