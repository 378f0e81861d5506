import { describe, expect, it } from 'vitest';
import { Prefork, type ChildReapEvent, type PreforkOptions } from '../../dist/index.js';
import { fixture, isAlive, track, waitFor } from '../helpers.js';
import { runScript } from './script.js';

function prefork(options: Partial<PreforkOptions> & { worker: string }) {
  return track(new Prefork({ maxWorkers: 2, ...options }));
}

/** Stops the start() loop (without signalling children) once `count` children were spawned. */
function stopAfterSpawning(count: number) {
  let spawned = 0;
  let manager: Prefork | undefined;
  return {
    bind: (p: Prefork) => (manager = p),
    afterFork: () => {
      if (++spawned === count) manager?.interrupt('SIGUSR2');
    },
  };
}

describe('Prefork', () => {
  it('collects final payloads: i ** 2 for i = 1..10 sums to 385', async () => {
    let next = 0;
    const reaped: ChildReapEvent[] = [];
    const stop = stopAfterSpawning(10);
    const p = stop.bind(
      prefork({
        worker: fixture('prefork-square.mjs'),
        maxWorkers: 10,
        callbacks: { next: () => ++next },
        onChildReap: (event) => reaped.push(event),
        afterFork: stop.afterFork,
      }),
    );
    await expect(p.start()).resolves.toBe('SIGUSR2');
    await expect(p.waitAll()).resolves.toBe(0);
    expect(reaped).toHaveLength(10);
    expect(reaped.reduce((sum, event) => sum + (event.payload as number), 0)).toBe(385);
    for (const event of reaped) expect(event).toMatchObject({ status: 0, exitCode: 0, signal: null, reason: 'exit', finished: true, generation: 1 });
    // Child lifetime figures, the same way as a pool's timing: one per reaped child.
    const stats = p.stats();
    expect(stats).toMatchObject({ children: 0, spawned: 10, reaped: 10 });
    expect(stats.lifetime.count).toBe(10);
    for (const event of reaped) expect(event.lifetimeMs).toBeGreaterThan(0);
    expect(stats.lifetime.min).toBeLessThanOrEqual(stats.lifetime.p50);
    expect(stats.lifetime.max).toBe(Math.max(...reaped.map((event) => event.lifetimeMs)));
  });

  it('keeps falsy final payloads as sent', async () => {
    const values = [0, '', false, null, undefined, Number.NaN];
    const queue = [...values];
    const payloads: unknown[] = [];
    const stop = stopAfterSpawning(values.length);
    const p = stop.bind(
      prefork({
        worker: fixture('prefork-echo.mjs'),
        maxWorkers: values.length,
        callbacks: { value: () => queue.shift() },
        onChildReap: (event) => {
          expect(event.finished).toBe(true);
          payloads.push(event.payload);
        },
        afterFork: stop.afterFork,
      }),
    );
    await p.start();
    await p.waitAll();
    expect(payloads).toHaveLength(values.length);
    for (const value of values) expect(payloads.some((payload) => Object.is(payload, value))).toBe(true);
  });

  it('round-trips callback payloads and tells handlers the child pid', async () => {
    const pids = new Set<number>();
    let result: any;
    const stop = stopAfterSpawning(1);
    const p = stop.bind(
      prefork({
        worker: fixture('prefork-calls.mjs'),
        maxWorkers: 1,
        callbacks: {
          echo: (payload: unknown, info: { pid: number }) => {
            pids.add(info.pid);
            return payload;
          },
        },
        onChildReap: (event) => (result = event.payload),
        afterFork: stop.afterFork,
      }),
    );
    await p.start();
    await p.waitAll();
    expect(result).toStrictEqual({
      number: 42,
      nothing: undefined,
      undef: undefined,
      nested: { list: [1, 'two', { three: [3] }], none: null, zero: 0, empty: '', no: false, missing: undefined },
      concurrent: [1, 2, 3, 4, 5],
      pid: result.pid,
    });
    expect([...pids]).toEqual([result.pid]);
  });

  it('fails a slow callback in the child with ERR_CALLBACK_TIMEOUT', async () => {
    let result: any;
    const timers: NodeJS.Timeout[] = [];
    const stop = stopAfterSpawning(1);
    const p = stop.bind(
      prefork({
        worker: fixture('prefork-slow-callback.mjs'),
        maxWorkers: 1,
        callbackTimeout: 300,
        callbacks: { slow: () => new Promise((resolve) => timers.push(setTimeout(resolve, 20_000))) },
        onChildReap: (event) => (result = event.payload),
        afterFork: stop.afterFork,
      }),
    );
    await p.start();
    await p.waitAll();
    for (const timer of timers) clearTimeout(timer);
    expect(result.code).toBe('ERR_CALLBACK_TIMEOUT');
    expect(result.elapsed).toBeGreaterThanOrEqual(250);
    expect(result.elapsed).toBeLessThan(5000);
  });

  it('keeps maxWorkers children, relays the trapped signal and reports signal deaths as 128 + n', async () => {
    const reaped: ChildReapEvent[] = [];
    let up = 0;
    const p = prefork({
      worker: fixture('prefork-forever.mjs'),
      maxWorkers: 3,
      callbacks: { up: () => void up++ },
      onChildReap: (event) => reaped.push(event),
    });
    const before = process.listenerCount('SIGTERM');
    const started = p.start();
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    await waitFor(() => up === 3, 15_000, 'three children up');
    expect(p.numWorkers).toBe(3);
    const pids = p.pids;
    p.interrupt('SIGTERM');
    await expect(started).resolves.toBe('SIGTERM');
    expect(p.signalReceived).toBe('SIGTERM');
    expect(p.stopped).toBe(true);
    await expect(p.waitAll(10_000)).resolves.toBe(0);
    expect(reaped.map((event) => event.pid).sort()).toEqual([...pids].sort());
    for (const event of reaped) expect(event).toMatchObject({ status: 143, signal: 'SIGTERM', reason: 'signal', finished: false });
    expect(process.listenerCount('SIGTERM')).toBe(before);
    // After TERM nothing starts again.
    await expect(p.start()).resolves.toBe('SIGTERM');
    expect(p.numWorkers).toBe(0);
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('adjusts to a new maxWorkers while running', async () => {
    let up = 0;
    const reaped: ChildReapEvent[] = [];
    const p = prefork({
      worker: fixture('prefork-forever.mjs'),
      maxWorkers: 1,
      callbacks: { up: () => void up++ },
      onChildReap: (event) => reaped.push(event),
    });
    const started = p.start();
    await waitFor(() => up === 1, 15_000, 'one child up');
    p.maxWorkers = 3;
    await waitFor(() => up === 3 && p.numWorkers === 3, 15_000, 'three children up');
    p.maxWorkers = 2;
    await waitFor(() => reaped.length === 1, 10_000, 'one child stopped');
    expect(reaped[0]?.signal).toBe('SIGTERM');
    expect(p.numWorkers).toBe(2);
    expect(() => (p.maxWorkers = -1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    await p.close();
    await expect(started).resolves.toBe('SIGTERM');
    expect(p.numWorkers).toBe(0);
  });

  it('waitAll(timeout) returns how many still run and kills nothing', async () => {
    let up = 0;
    const p = prefork({ worker: fixture('prefork-stubborn.mjs'), maxWorkers: 2, callbacks: { up: () => void up++ } });
    const started = p.start();
    await waitFor(() => up === 2, 15_000, 'two children up');
    p.interrupt('SIGTERM'); // relayed, and ignored by these children
    await started;
    await expect(p.waitAll(300)).resolves.toBe(2);
    const pids = p.pids;
    for (const pid of pids) expect(isAlive(pid)).toBe(true);
    expect(p.signalAll('SIGKILL')).toBe(2);
    await expect(p.waitAll(10_000)).resolves.toBe(0);
  });

  it('stops a child after childTimeout and reaps it with status 124, escalating to SIGKILL', async () => {
    const reaped: ChildReapEvent[] = [];
    const up = new Set<number>();
    const stop = stopAfterSpawning(2);
    const p = stop.bind(
      prefork({
        worker: fixture('prefork-stubborn.mjs'),
        maxWorkers: 2,
        childTimeout: 1500,
        killTimeout: 200,
        callbacks: { up: (_: unknown, { pid }: { pid: number }) => void up.add(pid) },
        onChildReap: (event) => reaped.push(event),
        afterFork: stop.afterFork,
      }),
    );
    await p.start();
    await expect(p.waitAll(15_000)).resolves.toBe(0);
    expect(reaped).toHaveLength(2);
    for (const event of reaped) {
      // A child that had installed its SIGTERM handler ignored the TERM and needed the KILL
      // (one still starting up, on a busy machine, died of the TERM).
      expect(event).toMatchObject({ status: 124, reason: 'timeout', signal: up.has(event.pid) ? 'SIGKILL' : 'SIGTERM' });
    }
  });

  it('reports a throwing child with exit code 1 and its error; ctx.finish sets code and payload', async () => {
    const events: ChildReapEvent[] = [];
    for (const name of ['prefork-throw.mjs', 'prefork-finish.mjs']) {
      const stop = stopAfterSpawning(1);
      const p = stop.bind(prefork({ worker: fixture(name), maxWorkers: 1, onChildReap: (event) => events.push(event), afterFork: stop.afterFork }));
      await p.start();
      await p.waitAll();
    }
    const [thrown, finished] = events;
    expect(thrown).toMatchObject({ status: 1, exitCode: 1, finished: true, payload: undefined });
    expect(thrown?.error).toBeInstanceOf(RangeError);
    expect((thrown?.error as Error | undefined)?.message).toBe('child failed on purpose');
    expect(finished).toMatchObject({ status: 3, exitCode: 3, finished: true, payload: { partial: true }, error: undefined });
  });

  it('waits errRespawnInterval before respawning after a failing child', async () => {
    let spawned = 0;
    const p = prefork({ worker: fixture('prefork-throw.mjs'), maxWorkers: 1, errRespawnInterval: 60_000, afterFork: () => void spawned++ });
    const started = p.start();
    await waitFor(() => spawned === 1 && p.numWorkers === 0, 15_000, 'the first child to fail');
    // A second spawn would come within a few ms without the interval.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(spawned).toBe(1);
    p.interrupt('SIGTERM');
    await started;
  });

  it('does not lose a signal that arrives between two start() calls', async () => {
    let up = 0;
    const p = prefork({ worker: fixture('prefork-forever.mjs'), maxWorkers: 1, trapSignals: { SIGTERM: 'SIGTERM', SIGHUP: null }, callbacks: { up: () => void up++ } });
    const first = p.start();
    await waitFor(() => up === 1, 15_000, 'one child up');
    p.interrupt('SIGHUP');
    await expect(first).resolves.toBe('SIGHUP');
    p.interrupt('SIGHUP'); // during the "reload"
    await expect(p.start()).resolves.toBe('SIGHUP');
    expect(p.pids).toHaveLength(1); // relayed nothing: the child lives on
    await p.close();
    expect(p.numWorkers).toBe(0);
  });

  it('rejects start() with what a hook threw', async () => {
    const p = prefork({
      worker: fixture('prefork-forever.mjs'),
      beforeFork: () => {
        throw new Error('no forking today');
      },
    });
    await expect(p.start()).rejects.toThrow('no forking today');
    expect(p.numWorkers).toBe(0);
  });

  it('validates its options', () => {
    const worker = fixture('prefork-forever.mjs');
    const invalid = (options: Record<string, unknown>, option: string) =>
      expect(() => new Prefork({ worker, ...options } as PreforkOptions)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option }));
    invalid({ maxWorker: 2 }, 'maxWorker');
    invalid({ maxWorkers: 1.5 }, 'maxWorkers');
    invalid({ trapSignals: { NOPE: 'TERM' } }, 'trapSignals');
    invalid({ trapSignals: { KILL: 'TERM' } }, 'trapSignals');
    invalid({ trapSignals: { TERM: 'NOPE' } }, 'trapSignals');
    invalid({ callbacks: { a: 'b' } }, 'callbacks');
    invalid({ onChildReap: 1 }, 'onChildReap');
    invalid({ childTimeout: -1 }, 'childTimeout');
    expect(() => new Prefork({} as PreforkOptions)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION', option: 'worker' }));
  });
});

describe('a throwing beforeFork/afterFork hook stops the manager as a TERM would', () => {
  it.each([
    ['before', 'prefork', 2],
    ['after', 'prefork', 3],
    ['before', 'ipc', 2],
    ['after', 'ipc', 3],
  ])('%sFork throwing on the 3rd spawn (%s): start() rejects, the running children get SIGTERM, the script exits by itself', async (which, api, spawned) => {
    const script = runScript(fixture('prefork-hook-throws.mjs'), [String(which), String(api)]);
    const rejected = await script.message((m) => m.rejected !== undefined);
    expect(rejected.rejected).toBe(`${which}Fork failed on purpose`);
    expect(rejected.pids).toHaveLength(spawned as number);
    // Bounded: the children end on the relayed SIGTERM, the listeners go, the process exits.
    const exiting = await script.message((m) => m.exiting, 15_000);
    expect(exiting.listeners).toBe(0);
    await expect(script.exit).resolves.toEqual({ code: 0, signal: null });
    for (const pid of rejected.pids) expect(isAlive(pid)).toBe(false);
  }, 30_000);
});
