import { expect } from 'chai';
import fc from 'fast-check';
import { DeadlineHeap, type Deadline } from '../../../actors/runtime/deadline-heap.js';

type Operation = { readonly kind: 'push'; readonly dueMs: number } | { readonly kind: 'pop' } | { readonly kind: 'rebuild-evens' };

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('push' as const), dueMs: fc.integer({ min: 0, max: 20 }) }),
  fc.constant({ kind: 'pop' as const }),
  fc.constant({ kind: 'rebuild-evens' as const }),
);

const byDeadline = (a: Deadline, b: Deadline): number => a.dueMs - b.dueMs || a.id - b.id;

describe('DeadlineHeap', () => {
  it('pops in (dueMs, id) order, like a sorted list, across pushes, pops and rebuilds', () => {
    fc.assert(
      fc.property(fc.array(operationArbitrary, { maxLength: 200 }), (operations) => {
        const heap = new DeadlineHeap<Deadline>();
        let model: Deadline[] = [];
        let nextId = 0;
        for (const operation of operations) {
          if (operation.kind === 'push') {
            const item = { dueMs: operation.dueMs, id: nextId++ };
            heap.push(item);
            model.push(item);
            model.sort(byDeadline);
          } else if (operation.kind === 'pop') {
            if (model.length === 0) continue;
            expect(heap.pop()).to.equal(model.shift());
          } else {
            // What the ask table does: keep only the live entries (here, even ids).
            model = model.filter((item) => item.id % 2 === 0);
            heap.rebuild(model);
          }
          expect(heap.size).to.equal(model.length);
          expect(heap.peek()).to.equal(model[0]);
        }
        while (model.length > 0) expect(heap.pop()).to.equal(model.shift());
      }),
      { numRuns: 500 },
    );
  });
});
