import { describe, expect, it } from 'vitest';
import { PreforkIPC } from '../../dist/compat/index.js';
import { fixture } from '../helpers.js';
import { runScript } from './script.js';

describe('PreforkIPC (the seed facade, run as the calling script re-run in each child)', () => {
  it('01-base: each of 10 children gets exactly one relayed TERM; onChildReap runs 10 times; no listener leaks', async () => {
    const script = runScript(fixture('prefork-ipc-01-base.mjs'));
    const ready = await script.message((m) => m.ready);
    expect(ready.listeners).toBe(1);
    script.signal('SIGTERM');
    const done = await script.message((m) => m.done);
    expect(done.running).toBe(0);
    expect(done.signal).toBe('TERM');
    expect(done.reaped).toHaveLength(10);
    for (const { kidpid, status, payload } of done.reaped) {
      expect(status).toBe(0);
      // The child called back after the TERM, during shutdown, and was answered.
      expect(payload).toEqual({ terms: 1, ack: { kidpid, terms: 1 }, pid: kidpid });
    }
    expect(done.listenersAfter).toBe(done.listenersBefore);
    await expect(script.exit).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);

  it('02-reconfigure: HUP relayed as TERM reloads once, TERM ends the loop', async () => {
    const script = runScript(fixture('prefork-ipc-02-reconfigure.mjs'));
    await script.message((m) => m.ready === 1);
    script.signal('SIGHUP');
    await script.message((m) => m.ready === 2);
    script.signal('SIGTERM');
    const done = await script.message((m) => m.done);
    expect(done.reloads).toBe(2);
    expect(done.signal).toBe('TERM');
    // Every child died of the relayed TERM: 128 + 15.
    expect(done.reaped).toEqual([143, 143, 143, 143, 143, 143]);
    await expect(script.exit).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);

  it('06: with 30 children needing 1, 2 or 3 TERMs, waitAllChildren(1) returns 20, then 10, and kills nothing', async () => {
    const script = runScript(fixture('prefork-ipc-06-wait.mjs'));
    await script.message((m) => m.ready, 50_000);
    script.signal('SIGTERM');
    const done = await script.message((m) => m.done);
    expect(done.counts).toEqual([20, 10, 0]);
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
