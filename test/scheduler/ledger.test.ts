import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/scheduler/job.js';
import { Ledger } from '../../src/scheduler/ledger.js';

function makeJob(id: number, log: string[]): Job {
  return {
    id,
    settled: false,
    timer: undefined,
    retryTimer: undefined,
    detach: undefined,
    resolve: () => log.push(`ok:${id}`),
    reject: () => log.push(`err:${id}`),
  } as unknown as Job;
}

describe('Ledger', () => {
  it('settles every job exactly once under any interleaving of answers, exits, timeouts and aborts', () => {
    const event = fc.record({ job: fc.nat(19), kind: fc.constantFrom('answer', 'error', 'exit', 'timeout', 'abort', 'close') });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(event, { maxLength: 200 }), (count, events) => {
        const log: string[] = [];
        let idle = 0;
        const ledger = new Ledger(() => idle++);
        const jobs = Array.from({ length: count }, (_, id) => makeJob(id, log));
        for (const _ of jobs) ledger.open();
        for (const { job, kind } of events) {
          const target = jobs[job % count] as Job;
          ledger.finish(target, kind === 'answer', kind);
        }
        // Whatever is left settles at close.
        for (const job of jobs) ledger.finish(job, false, 'close');
        const perJob = new Map<number, number>();
        for (const line of log) {
          const id = Number(line.split(':')[1]);
          perJob.set(id, (perJob.get(id) ?? 0) + 1);
        }
        expect(perJob.size).toBe(count);
        expect([...perJob.values()].every((n) => n === 1)).toBe(true);
        expect(ledger.unsettled).toBe(0);
        expect(ledger.counts.completed + ledger.counts.failed).toBe(count);
        expect(idle).toBe(1);
      }),
    );
  });

  it('finish reports whether this call settled the job', () => {
    const ledger = new Ledger(() => undefined);
    const job = makeJob(1, []);
    ledger.open();
    expect(ledger.finish(job, true, 1)).toBe(true);
    expect(ledger.finish(job, false, 2)).toBe(false);
  });
});
