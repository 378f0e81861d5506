import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ClaimTable, releaseFromThread } from '../../src/child/claims.js';

describe('ClaimTable: the main thread and the release thread agree on every job', () => {
  it('a queued job is handed back by the release thread, and the main thread then does not run it', () => {
    const table = new ClaimTable();
    const cell = table.add(7);
    expect(releaseFromThread(table.memory, 7)).toBe(true);
    expect(table.claim(cell)).toBe(false);
    expect(table.released(cell)).toBe(true);
  });

  it('a started job is not handed back', () => {
    const table = new ClaimTable();
    const cell = table.add(7);
    expect(table.claim(cell)).toBe(true);
    expect(releaseFromThread(table.memory, 7)).toBe(false);
  });

  it("the main thread's own RELEASE answers once: the release thread, reading the same RELEASE later, stays silent", () => {
    const table = new ClaimTable();
    const cell = table.add(7);
    expect(table.release(cell)).toBe(true);
    expect(releaseFromThread(table.memory, 7)).toBe(false);
  });

  it('a job revoked before it arrived is dropped on arrival; the RELEASE was answered once', () => {
    const table = new ClaimTable();
    expect(releaseFromThread(table.memory, 9)).toBe(true);
    expect(table.add(9)).toBe(-1);
    // Other jobs are not affected, and a second RELEASE of the same job finds it answered.
    expect(table.add(10)).not.toBe(-1);
    expect(releaseFromThread(table.memory, 9)).toBe(false);
  });

  it('a job handed back and sent to the same worker again is taken back from its new cell, not its old one', () => {
    const table = new ClaimTable();
    const first = table.add(5);
    expect(releaseFromThread(table.memory, 5)).toBe(true);
    const again = table.add(5);
    expect(again).not.toBe(first);
    expect(releaseFromThread(table.memory, 5)).toBe(true);
    expect(table.claim(again)).toBe(false);
  });

  it('property: under any interleaving, each job runs or is answered as released, never both, never neither once asked', () => {
    // Steps: a job arrives (main), the main thread tries to start the oldest queued one, or a
    // RELEASE for some job sent reaches the release thread. Jobs are sent in order (ids 1..n).
    const step = fc.oneof(fc.constant({ op: 'arrive' as const }), fc.constant({ op: 'start' as const }), fc.record({ op: fc.constant('release' as const), job: fc.integer({ min: 1, max: 30 }) }));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 200 }), (steps) => {
        const table = new ClaimTable();
        let sent = 0;
        const queue: Array<{ id: number; cell: number }> = [];
        const ran = new Map<number, number>();
        const answered = new Map<number, number>();
        const asked = new Set<number>();
        for (const s of steps) {
          if (s.op === 'arrive' && sent < 30) {
            const id = ++sent;
            const cell = table.add(id);
            if (cell !== -1) queue.push({ id, cell });
          } else if (s.op === 'start') {
            const job = queue.shift();
            if (job && table.claim(job.cell)) ran.set(job.id, (ran.get(job.id) ?? 0) + 1);
          } else if (s.op === 'release' && !asked.has(s.job) && !ran.has(s.job)) {
            // The parent asks once, for a job it sent that has not answered (it may not have arrived).
            asked.add(s.job);
            if (releaseFromThread(table.memory, s.job)) answered.set(s.job, (answered.get(s.job) ?? 0) + 1);
          }
        }
        // Drain: every job the parent sent arrives and the main thread runs what it may.
        while (sent < 30) {
          const id = ++sent;
          const cell = table.add(id);
          if (cell !== -1) queue.push({ id, cell });
        }
        for (const job of queue) if (table.claim(job.cell)) ran.set(job.id, (ran.get(job.id) ?? 0) + 1);
        for (let id = 1; id <= 30; id++) {
          const runs = ran.get(id) ?? 0;
          const releases = answered.get(id) ?? 0;
          expect(runs + releases, `job ${id}`).toBe(1);
        }
      }),
      { numRuns: 500 },
    );
  });
});
