import { describe, expect, it } from 'vitest';
import { SpawnPolicy, type PolicyClock } from '../../src/supervisor/spawn-policy.js';

function fakeClock(random = 0.5): PolicyClock & { advance(ms: number): void } {
  let now = 1_000;
  return { now: () => now, random: () => random, advance: (ms) => (now += ms) };
}

describe('SpawnPolicy', () => {
  it('backs off module faults 100, 200, 400 ms and gives up at maxStartFailures', () => {
    const clock = fakeClock();
    const policy = new SpawnPolicy(3, clock);
    expect(policy.moduleFault()).toBe(false);
    expect(policy.notBefore).toBe(1_100);
    expect(policy.oneAtATime).toBe(true);
    clock.advance(100);
    expect(policy.moduleFault()).toBe(false);
    expect(policy.notBefore).toBe(1_300);
    clock.advance(200);
    expect(policy.moduleFault()).toBe(true);
    expect(policy.notBefore).toBe(1_700);
  });

  it('caps the module-fault back-off at 2 s', () => {
    const clock = fakeClock();
    const policy = new SpawnPolicy(100, clock);
    for (let i = 0; i < 10; i++) policy.moduleFault();
    expect(policy.notBefore - clock.now()).toBe(2_000);
  });

  it('never gives up on external kills, and backs them off with jitter, capped at 500 ms', () => {
    const clock = fakeClock(1);
    const policy = new SpawnPolicy(1, clock);
    for (let i = 0; i < 50; i++) policy.externalKill();
    expect(policy.faults).toBe(0);
    expect(policy.oneAtATime).toBe(false);
    expect(policy.notBefore - clock.now()).toBe(500);
    const low = new SpawnPolicy(1, fakeClock(0));
    low.externalKill();
    expect(low.notBefore - 1_000).toBe(13);
  });

  it('a worker that becomes ready ends a run of kills', () => {
    const clock = fakeClock(1);
    const policy = new SpawnPolicy(3, clock);
    for (let i = 0; i < 5; i++) policy.externalKill();
    policy.ready();
    clock.advance(1_000);
    policy.externalKill();
    expect(policy.notBefore - clock.now()).toBe(25);
  });

  it('a worker that serves resets the streaks', () => {
    const clock = fakeClock();
    const policy = new SpawnPolicy(3, clock);
    policy.moduleFault();
    policy.moduleFault();
    policy.served();
    expect(policy.faults).toBe(0);
    expect(policy.oneAtATime).toBe(false);
    clock.advance(10_000);
    expect(policy.moduleFault()).toBe(false);
    expect(policy.notBefore - clock.now()).toBe(100);
  });

  it('crash retries back off by attempt, jittered and capped', () => {
    const policy = new SpawnPolicy(3, fakeClock(1));
    expect([1, 2, 3, 4, 5, 6, 10].map((a) => policy.retryDelay(a))).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(new SpawnPolicy(3, fakeClock(0)).retryDelay(1)).toBe(25);
  });
});
