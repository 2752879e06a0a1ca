import { expect } from 'chai';
import fc from 'fast-check';
import { DueHeap, type Due } from '../../../drivers/clock/due-heap.js';
import { InvariantError } from '../../../actors/runtime/errors.js';

type Operation =
  | { readonly kind: 'push'; readonly dueMs: number }
  | { readonly kind: 'pop' }
  | { readonly kind: 'remove'; readonly pick: number };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), dueMs: fc.integer({ min: 0, max: 20 }) }),
  fc.constant({ kind: 'pop' as const }),
  fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }),
);

const byDue = (a: Due, b: Due): number => a.dueMs - b.dueMs || a.sequence - b.sequence;

describe('DueHeap', () => {
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
});
