import { describe, expect, it } from 'vitest';
import { SEND_AHEAD_BUDGET_MS, pickStealVictim, pickWorker, sendAheadDepth } from '../../src/scheduler/dispatcher.js';
import type { Job } from '../../src/scheduler/job.js';
import { takeReclaimed, takeReleased, type WorkerSlot } from '../../src/scheduler/slot.js';
import { SEQ_MASK } from '../../src/channel/job-seq.js';

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

describe('a worker held by a long job', () => {
  it('takes no new job until that job is answered, and is not stolen from while a reclaim is out', () => {
    const long = job(1);
    const held = slot(1, [long, job(2), job(3)], { heldBy: long });
    const free = slot(2, [job(4)]);
    expect(pickWorker([held, free], job(9), 8, 0)).toBe(free);
    expect(pickWorker([held], job(9), 8, 0)).toBeUndefined();
    expect(pickStealVictim([slot(3, [job(5), job(6), job(7)], { reclaiming: true })])).toBeUndefined();
    expect(pickStealVictim([held])).toBeUndefined();
  });
});

describe('takeReclaimed', () => {
  it('takes the jobs written after the last one started, in order, across the seq wrap', () => {
    const seqs = [SEQ_MASK - 1, SEQ_MASK, 0, 1, 2];
    const jobs = seqs.map((seq, i) => job(i + 1, { seq, armed: i === 0 }));
    const worker = slot(1, jobs);
    for (const queued of jobs) queued.worker = worker;
    const taken = takeReclaimed(worker, SEQ_MASK);
    expect(taken.map((taken) => taken.seq)).toEqual([0, 1, 2]);
    expect(worker.inflight.map((kept) => kept.seq)).toEqual([SEQ_MASK - 1, SEQ_MASK]);
    expect(taken.every((taken) => taken.worker === undefined && !taken.armed && !taken.releasing)).toBe(true);
  });

  it('takes every job, the head included, when none had started; and clears heldBy with the job it named', () => {
    const head = job(1, { seq: 7, armed: true });
    const worker = slot(1, [head, job(2, { seq: 8 })], { heldBy: head });
    expect(takeReclaimed(worker, 6).length).toBe(2);
    expect(worker.inflight).toEqual([]);
    expect(worker.heldBy).toBeUndefined();
  });

  it('a RELEASED names its job by seq: a second copy of the same job on the same worker is not taken for the first', () => {
    const worker = slot(1, [job(5, { seq: 3 }), job(5, { seq: 9 })]);
    expect(takeReleased(worker, 4)).toBeUndefined();
    expect(takeReleased(worker, 3)?.seq).toBe(3);
    expect(worker.inflight.map((kept) => kept.seq)).toEqual([9]);
  });
});
