import { describe, expect, it } from 'vitest';
import { SEND_AHEAD_BUDGET_MS, pickStealVictim, pickWorker, sendAheadDepth } from '../../src/scheduler/dispatcher.js';
import type { Job } from '../../src/scheduler/job.js';
import type { WorkerSlot } from '../../src/scheduler/slot.js';

function job(id: number, extra: Partial<Job> = {}): Job {
  return { id, suspect: false, settled: false, releasing: false, ...extra } as Job;
}

function slot(id: number, inflight: Job[], extra: Partial<WorkerSlot> = {}): WorkerSlot {
  return { id, state: 'ready', inflight, dispatched: inflight.length, recycle: undefined, proc: { reason: undefined }, ...extra } as unknown as WorkerSlot;
}

describe('sendAheadDepth', () => {
  it('sends one at a time until a service time is known', () => {
    expect(sendAheadDepth(Number.NaN, 512)).toBe(1);
  });

  it('holds at most the budget of measured work, within 1..prefetch', () => {
    expect(sendAheadDepth(0.005, 512)).toBe(Math.floor(SEND_AHEAD_BUDGET_MS / 0.005));
    expect(sendAheadDepth(0, 512)).toBe(512);
    expect(sendAheadDepth(0.0001, 64)).toBe(64);
    expect(sendAheadDepth(0.4, 512)).toBe(2);
    expect(sendAheadDepth(3, 512)).toBe(1);
    expect(sendAheadDepth(1500, 512)).toBe(1);
  });
});

describe('pickWorker', () => {
  it('takes the least loaded ready worker under the depth', () => {
    const a = slot(1, [job(1), job(2)]);
    const b = slot(2, [job(3)]);
    expect(pickWorker([a, b], job(9), 4, 0)).toBe(b);
    expect(pickWorker([a, b], job(9), 1, 0)).toBeUndefined();
  });

  it('skips starting, recycling, maxJobsPerWorker-exhausted and already stopping workers', () => {
    const starting = slot(1, [], { state: 'starting' });
    const recycling = slot(2, [], { recycle: 'recycle' });
    const spent = slot(3, [], { dispatched: 5 });
    const killed = slot(4, [], { proc: { reason: 'protocol' } } as unknown as Partial<WorkerSlot>);
    expect(pickWorker([starting, recycling, spent, killed], job(9), 4, 5)).toBeUndefined();
  });

  it('gives a suspect only an empty worker, and an isolated worker nothing more', () => {
    const busy = slot(1, [job(1)]);
    const empty = slot(2, []);
    expect(pickWorker([busy], job(9, { suspect: true }), 512, 0)).toBeUndefined();
    expect(pickWorker([busy, empty], job(9, { suspect: true }), 512, 0)).toBe(empty);
    const holding = slot(3, [job(4, { suspect: true })]);
    expect(pickWorker([holding], job(10), 512, 0)).toBeUndefined();
  });
});

describe('pickStealVictim', () => {
  it('picks the worker with most jobs waiting whose tail can be asked back', () => {
    const a = slot(1, [job(1), job(2)]);
    const b = slot(2, [job(3), job(4), job(5)]);
    const c = slot(3, [job(6), job(7), job(8), job(9, { releasing: true })]);
    expect(pickStealVictim([a, b, c])).toBe(b);
    expect(pickStealVictim([slot(4, [job(10)])])).toBeUndefined();
  });
});
