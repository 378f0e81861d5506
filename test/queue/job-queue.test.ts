import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/queue/job-queue.js';

interface Item {
  priority: number;
  seq: number;
}

describe('JobQueue', () => {
  it('shifts higher priorities first and keeps FIFO within a priority, under any mix of operations', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), priority: fc.integer({ min: -3, max: 3 }) }),
      fc.record({ kind: fc.constant('shift' as const) }),
      fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('unshift' as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const queue = new JobQueue<Item>();
        // The model: a list kept in the order items must come out.
        let model: Item[] = [];
        let seq = 0;
        const insert = (item: Item, front: boolean) => {
          let at = model.findIndex((m) => (front ? m.priority <= item.priority : m.priority < item.priority));
          if (at === -1) at = model.length;
          model.splice(at, 0, item);
        };
        const taken: Item[] = [];
        for (const o of ops) {
          if (o.kind === 'push') {
            const item = { priority: o.priority, seq: seq++ };
            queue.push(item);
            insert(item, false);
          } else if (o.kind === 'shift') {
            expect(queue.shift()).toBe(model.shift());
          } else if (o.kind === 'remove' && model.length > 0) {
            const item = model[o.pick % model.length] as Item;
            expect(queue.remove(item)).toBe(true);
            model = model.filter((m) => m !== item);
            taken.push(item);
          } else if (o.kind === 'unshift' && taken.length > 0) {
            const item = taken.splice(o.pick % taken.length, 1)[0] as Item;
            queue.unshift(item);
            insert(item, true);
          }
          expect(queue.length).toBe(model.length);
          expect(queue.peek()).toBe(model[0]);
        }
        expect(queue.drain()).toEqual(model);
        expect(queue.length).toBe(0);
      }),
    );
  });

  it('unshift puts several items back at the front of their priorities in their order', () => {
    const queue = new JobQueue<Item>();
    const a = { priority: 0, seq: 1 };
    const b = { priority: 0, seq: 2 };
    const c = { priority: 0, seq: 3 };
    queue.push(c);
    queue.unshift(a, b);
    expect(queue.drain()).toEqual([a, b, c]);
  });
});
