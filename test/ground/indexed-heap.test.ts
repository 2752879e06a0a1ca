import { expect } from 'chai';
import fc from 'fast-check';
import { type Due, dueBefore, indexedHeapOf } from '../../ground/indexed-heap.js';

const DueHeap = indexedHeapOf<Due>(dueBefore);
import { InvariantError } from '../../ground/errors.js';

type Operation = { readonly kind: 'push'; readonly dueMs: number } | { readonly kind: 'pop' } | { readonly kind: 'remove'; readonly pick: number };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), dueMs: fc.integer({ min: 0, max: 20 }) }),
  fc.constant({ kind: 'pop' as const }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
);

const byDue = (a: Due, b: Due): number => a.dueMs - b.dueMs || a.sequence - b.sequence;

describe('indexed heaps', () => {
  it('pops in (dueMs, sequence) order, like a sorted list, across pushes, pops and removals from anywhere', () => {
    fc.assert(
      fc.property(fc.array(operationArbitrary, { maxLength: 200 }), (operations) => {
        const heap = new DueHeap<Due>();
        const model: Due[] = [];
        let sequence = 0;
        for (const operation of operations) {
          if (operation.kind === 'push') {
            const entry = { dueMs: operation.dueMs, sequence: sequence++, heapIndex: -1 };
            heap.push(entry);
            model.push(entry);
            model.sort(byDue);
          } else if (model.length === 0) {
            continue;
          } else if (operation.kind === 'pop') {
            const popped = heap.pop();
            expect(popped).to.equal(model.shift());
            expect(popped.heapIndex).to.equal(-1);
          } else {
            // What a cancelled timer or an answered ask does: leave from wherever it is.
            const [removed] = model.splice(operation.pick % model.length, 1);
            heap.remove(removed!);
            expect(removed!.heapIndex).to.equal(-1);
          }
          expect(heap.size).to.equal(model.length);
          expect(heap.peek()).to.equal(model[0]);
        }
        while (model.length > 0) expect(heap.pop()).to.equal(model.shift());
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an entry twice, a removal of an entry it does not hold, and a pop when empty', () => {
    const heap = new DueHeap<Due>();
    const entry = { dueMs: 1, sequence: 0, heapIndex: -1 };
    heap.push(entry);
    expect(() => heap.push(entry)).to.throw(InvariantError, /already in a heap/);
    expect(() => new DueHeap<Due>().remove(entry)).to.throw(InvariantError, /not in this heap/);
    heap.pop();
    expect(() => heap.remove(entry)).to.throw(InvariantError, /not in this heap/);
    expect(() => heap.pop()).to.throw(InvariantError, /empty heap/);
  });

  it('reorders after the keys of many entries changed at once, and visits every entry', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 100 }),
        fc.array(fc.integer({ min: -50, max: 50 }), { maxLength: 100 }),
        (before, after) => {
          const KeyHeap = indexedHeapOf<{ key: number; readonly id: number; heapIndex: number }>((a, b) => a.key < b.key || (a.key === b.key && a.id < b.id));
          const heap = new KeyHeap();
          const entries = before.map((key, id) => ({ key, id, heapIndex: -1 }));
          for (const entry of entries) heap.push(entry);
          // What a run queue's renormalisation does: change keys in place, then restore the order.
          heap.forEach((entry) => (entry.key = after[entry.id] ?? entry.key));
          heap.reorder();
          const model = entries.slice().sort((a, b) => a.key - b.key || a.id - b.id);
          let visited = 0;
          heap.forEach(() => visited++);
          expect(visited).to.equal(entries.length);
          for (const entry of model) expect(heap.pop()).to.equal(entry);
        },
      ),
      { numRuns: 300 },
    );
  });
});
