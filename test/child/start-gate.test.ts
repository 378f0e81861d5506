// The start gate decides, for every job sent ahead, whether the worker's main thread runs it or
// the reclaim thread hands it back: never both, never neither. These tests race a real second
// thread against the claims, as in a worker.
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextSeq, SEQ_MASK, seqAfter } from '../../src/channel/job-seq.js';
import { closeGate, StartGate } from '../../src/child/start-gate.js';

describe('job seqs', () => {
  it('count up and wrap at 2^30', () => {
    expect(nextSeq(0)).toBe(1);
    expect(nextSeq(SEQ_MASK)).toBe(0);
  });

  it('order seqs across the wrap, within half the range', () => {
    expect(seqAfter(5, 4)).toBe(true);
    expect(seqAfter(4, 5)).toBe(false);
    expect(seqAfter(4, 4)).toBe(false);
    expect(seqAfter(0, SEQ_MASK)).toBe(true);
    expect(seqAfter(3, SEQ_MASK - 3)).toBe(true);
    expect(seqAfter(SEQ_MASK - 3, 3)).toBe(false);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: SEQ_MASK }), fc.integer({ min: 1, max: 100_000 }), (base, ahead) => {
        const later = (base + ahead) & SEQ_MASK;
        return seqAfter(later, base) && !seqAfter(base, later);
      }),
    );
  });
});

describe('StartGate (one thread)', () => {
  it('lets jobs start in any order of seqs while open, none once closed, again once reopened', () => {
    const gate = new StartGate();
    expect(gate.claim(1)).toBe(true);
    expect(gate.claim(2)).toBe(true);
    // A job released between jobs (RELEASE) is skipped: its seq is never claimed.
    expect(gate.claim(4)).toBe(true);
    expect(closeGate(gate.word)).toBe(4);
    expect(gate.closed).toBe(true);
    expect(gate.claim(5)).toBe(false);
    expect(gate.claim(6)).toBe(false);
    gate.reopen();
    expect(gate.closed).toBe(false);
    expect(gate.claim(9)).toBe(true);
    expect(closeGate(gate.word)).toBe(9);
  });

  it('says 0 when closed before any job started', () => {
    const gate = new StartGate();
    expect(closeGate(gate.word)).toBe(0);
    expect(gate.claim(1)).toBe(false);
  });
});

// The reclaim side, in a thread, with the built closeGate (what the reclaim thread runs): waits
// for a go, closes the gate, reports the seq it saw.
const CLOSER = `
const { parentPort } = require('node:worker_threads');
import(${JSON.stringify(new URL('../../dist/child/start-gate.js', import.meta.url).href)}).then(({ closeGate }) => {
  parentPort.on('message', ({ word, go }) => {
    while (Atomics.load(go, 0) === 0);
    parentPort.postMessage(closeGate(word));
  });
  parentPort.postMessage('ready');
});
`;

function closer(): Promise<Worker> {
  const thread = new Worker(CLOSER, { eval: true });
  return new Promise((resolve, reject) => {
    thread.once('message', () => resolve(thread));
    thread.once('error', reject);
  });
}

describe('StartGate (racing a real thread)', () => {
  it('a close in the middle of a run of claims: exactly the jobs up to the seq it reports started', async () => {
    const thread = await closer();
    try {
      for (let round = 0; round < 40; round++) {
        const gate = new StartGate();
        const go = new Int32Array(new SharedArrayBuffer(4));
        const reported = new Promise<number>((resolve) => thread.once('message', resolve));
        thread.postMessage({ word: gate.word, go });
        const started: number[] = [];
        // Start the close at a different point of the run each round.
        const at = 1 + ((round * 997) % 20_000);
        for (let seq = 1; seq <= 30_000; seq++) {
          if (seq === at) Atomics.store(go, 0, 1);
          if (gate.claim(seq)) started.push(seq);
        }
        const last = await reported;
        // Every seq up to `last` started, none after: the parent requeues exactly seq > last.
        expect(started.length).toBe(last);
        expect(started.at(-1) ?? 0).toBe(last);
      }
    } finally {
      await thread.terminate();
    }
  }, 30_000);

  it('a close asked again while closed waits for the reopen, then closes at the new last seq', async () => {
    const thread = await closer();
    try {
      const gate = new StartGate();
      gate.claim(3);
      expect(closeGate(gate.word)).toBe(3);
      const go = new Int32Array(new SharedArrayBuffer(4));
      Atomics.store(go, 0, 1);
      const reported = new Promise<number>((resolve) => thread.once('message', resolve));
      thread.postMessage({ word: gate.word, go });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(gate.claim(4)).toBe(false);
      gate.reopen();
      const last = await Promise.race([reported, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('the waiting close never ran')), 5000))]);
      expect(last).toBe(3);
      expect(gate.claim(7)).toBe(false);
    } finally {
      await thread.terminate();
    }
  });
});
