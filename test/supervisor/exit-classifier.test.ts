import { describe, expect, it } from 'vitest';
import { classifyExit, type ExitFacts } from '../../src/supervisor/exit-classifier.js';

const base: ExitFacts = {
  phase: 'ready',
  requested: undefined,
  exitCode: null,
  signal: null,
  spawnFailed: false,
  goodbye: undefined,
  served: true,
  unanswered: u(),
};

/** Unanswered jobs by id; a negative id is one the pool already settled (a ghost). */
function u(...ids: number[]) {
  return ids.map((id) => ({ id: Math.abs(id), settled: id < 0 }));
}

function verdict(facts: Partial<ExitFacts>) {
  return classifyExit({ ...base, ...facts });
}

describe('classifyExit: reasons and start failures', () => {
  const table: Array<[string, Partial<ExitFacts>, { reason: string; moduleFault: boolean; externalKill: boolean }]> = [
    ['init threw (pool killed it as init-failure)', { phase: 'starting', requested: 'init-failure', signal: 'SIGKILL' }, { reason: 'init-failure', moduleFault: true, externalKill: false }],
    ['exited by itself while starting', { phase: 'starting', exitCode: 1, served: false }, { reason: 'init-failure', moduleFault: true, externalKill: false }],
    ['crash signal while starting', { phase: 'starting', signal: 'SIGSEGV', served: false }, { reason: 'init-failure', moduleFault: true, externalKill: false }],
    ['SIGKILL from outside while starting', { phase: 'starting', signal: 'SIGKILL', served: false }, { reason: 'killed', moduleFault: false, externalKill: true }],
    ['SIGTERM from outside while starting', { phase: 'starting', signal: 'SIGTERM', served: false }, { reason: 'killed', moduleFault: false, externalKill: true }],
    ['SIGHUP from outside while serving', { signal: 'SIGHUP', unanswered: u(1) }, { reason: 'killed', moduleFault: false, externalKill: true }],
    ['SIGINT from outside, ready and idle, never served', { signal: 'SIGINT', served: false }, { reason: 'killed', moduleFault: false, externalKill: true }],
    ['spawn failed (EMFILE)', { phase: 'starting', spawnFailed: true, served: false }, { reason: 'init-failure', moduleFault: true, externalKill: false }],
    ['crash mid-job', { exitCode: 42, unanswered: u(7) }, { reason: 'crash', moduleFault: false, externalKill: false }],
    ['SIGSEGV mid-job', { signal: 'SIGSEGV', unanswered: u(7) }, { reason: 'crash', moduleFault: false, externalKill: false }],
    ['died idle after READY before any job', { exitCode: 3, served: false }, { reason: 'crash', moduleFault: true, externalKill: false }],
    ['died idle after serving', { exitCode: 3, served: true }, { reason: 'crash', moduleFault: false, externalKill: false }],
    ['pool timeout kill', { requested: 'timeout', signal: 'SIGKILL', unanswered: u(1) }, { reason: 'timeout', moduleFault: false, externalKill: false }],
    ['pool cancel kill', { requested: 'cancel', signal: 'SIGTERM' }, { reason: 'cancel', moduleFault: false, externalKill: false }],
    ['recycle', { requested: 'recycle', exitCode: 0 }, { reason: 'recycle', moduleFault: false, externalKill: false }],
    ['idle shrink', { requested: 'idle', exitCode: 0 }, { reason: 'idle', moduleFault: false, externalKill: false }],
    ['close while starting', { phase: 'starting', requested: 'shutdown', exitCode: 0, served: false }, { reason: 'shutdown', moduleFault: false, externalKill: false }],
    ['force close', { requested: 'force', signal: 'SIGKILL' }, { reason: 'force', moduleFault: false, externalKill: false }],
    ['garbage while starting', { phase: 'starting', requested: 'protocol', signal: 'SIGKILL', served: false }, { reason: 'protocol', moduleFault: true, externalKill: false }],
    ['garbage after serving', { requested: 'protocol', signal: 'SIGKILL', unanswered: u(1) }, { reason: 'protocol', moduleFault: false, externalKill: false }],
  ];
  for (const [name, facts, expected] of table) {
    it(name, () => {
      const v = verdict(facts);
      expect({ reason: v.reason, moduleFault: v.moduleFault, externalKill: v.externalKill }).toEqual(expected);
    });
  }
});

describe('classifyExit: who is charged', () => {
  it('a graceful death charges the job the child said it was running, the rest go back clean', () => {
    const v = verdict({ exitCode: 3, goodbye: { running: 12 }, unanswered: u(11, 12, 13, 14) });
    expect(v.charged).toBe(12);
    expect(v.requeue).toBe('clean');
  });

  it('a graceful death between jobs charges nobody', () => {
    const v = verdict({ exitCode: 3, goodbye: { running: 0 }, unanswered: u(13, 14) });
    expect(v.charged).toBeUndefined();
    expect(v.requeue).toBe('clean');
  });

  it('a graceful death while running a job already settled (cancelled) charges nobody', () => {
    // The cancelled job stays on its worker's list (a ghost) until the child answers for it.
    const v = verdict({ exitCode: 1, goodbye: { running: 9 }, unanswered: u(-9, 10) });
    expect(v.charged).toBeUndefined();
    expect(v.requeue).toBe('clean');
  });

  it('a hard death with one unanswered job charges it', () => {
    expect(verdict({ signal: 'SIGKILL', unanswered: u(5) }).charged).toBe(5);
    expect(verdict({ signal: 'SIGSEGV', unanswered: u(5) }).charged).toBe(5);
  });

  it('a hard death with several unanswered charges none and makes them suspects', () => {
    const v = verdict({ signal: 'SIGKILL', unanswered: u(5, 6, 7) });
    expect(v.charged).toBeUndefined();
    expect(v.requeue).toBe('suspects');
  });

  it('a pool timeout kill with several unanswered (batched answers lost) makes them suspects', () => {
    const v = verdict({ requested: 'timeout', signal: 'SIGKILL', unanswered: u(5, 6, 7) });
    expect(v.charged).toBeUndefined();
    expect(v.requeue).toBe('suspects');
  });

  it('a pool timeout whose child acted on SIGTERM charges the job it reported', () => {
    const v = verdict({ requested: 'timeout', signal: 'SIGTERM', goodbye: { running: 6 }, unanswered: u(5, 6, 7) });
    expect(v.charged).toBe(6);
    expect(v.requeue).toBe('clean');
  });

  it('a lone unanswered job behind a settled ghost (a cancelled job that may be running) is not charged', () => {
    const v = verdict({ requested: 'cancel', signal: 'SIGKILL', unanswered: u(-4, 5) });
    expect(v.charged).toBeUndefined();
    expect(v.requeue).toBe('suspects');
    expect(verdict({ requested: 'timeout', signal: 'SIGKILL', unanswered: u(-4) })).toMatchObject({ charged: undefined, requeue: 'clean' });
  });

  it('a graceful death reporting a settled ghost as running charges nobody and requeues the rest clean', () => {
    expect(verdict({ requested: 'cancel', signal: 'SIGTERM', goodbye: { running: 4 }, unanswered: u(-4, 5) })).toMatchObject({ charged: undefined, requeue: 'clean' });
  });

  it('a goodbye from a worker stopped for garbage is not believed: a hard death', () => {
    expect(verdict({ requested: 'protocol', signal: 'SIGKILL', goodbye: { running: 99 }, unanswered: u(5) })).toMatchObject({ charged: 5, requeue: 'clean' });
    expect(verdict({ requested: 'protocol', signal: 'SIGKILL', goodbye: { running: 0 }, unanswered: u(5, 6) })).toMatchObject({ charged: undefined, requeue: 'suspects' });
  });

  it('a goodbye naming a job the worker was never sent is not believed', () => {
    expect(verdict({ exitCode: 1, goodbye: { running: 1234 }, unanswered: u(5) })).toMatchObject({ charged: 5, requeue: 'clean' });
    expect(verdict({ exitCode: 1, goodbye: { running: 1234 }, unanswered: u(5, 6) })).toMatchObject({ charged: undefined, requeue: 'suspects' });
  });

  it('an exit with nothing unanswered charges nobody', () => {
    expect(verdict({ signal: 'SIGKILL' })).toMatchObject({ charged: undefined, requeue: 'clean' });
  });
});
