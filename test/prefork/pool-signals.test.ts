import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers.js';
import { runScript } from './script.js';

describe('Pool handleSignals (run in a separate process that receives the signals)', () => {
  it('closes gracefully on the first SIGTERM: the running job finishes, its callbacks are answered', async () => {
    const script = runScript(fixture('callback-pool-signals.mjs'), ['1500']);
    const started = await script.message((m) => m.started);
    expect(started.listeners).toBe(1);
    script.signal('SIGTERM');
    const done = await script.message((m) => m.done);
    expect(done.outcome).toEqual({ value: 'slept 1500' });
    expect(done.late).toBe('ERR_POOL_CLOSED');
    expect(done.after).toEqual(done.before);
    await expect(script.exit).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);

  it('closes forcefully on the second signal: the running job rejects at once', async () => {
    const script = runScript(fixture('callback-pool-signals.mjs'), ['20000']);
    await script.message((m) => m.started);
    const signalled = Date.now();
    script.signal('SIGINT');
    script.signal('SIGTERM');
    const done = await script.message((m) => m.done);
    expect(done.outcome).toEqual({ code: 'ERR_POOL_CLOSED' });
    expect(Date.now() - signalled).toBeLessThan(15_000);
    expect(done.after).toEqual(done.before);
    await expect(script.exit).resolves.toEqual({ code: 0, signal: null });
  }, 60_000);
});
