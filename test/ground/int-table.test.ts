import { expect } from 'chai';
import fc from 'fast-check';
import { InvariantError } from '../../ground/errors.js';
import { IntTable } from '../../ground/int-table.js';

type Operation =
  | { readonly kind: 'set'; readonly key: number; readonly value: number }
  | { readonly kind: 'delete'; readonly key: number }
  | { readonly kind: 'get'; readonly key: number };

/** Keys that collide a lot (few slots, and multiples of large powers of two) and keys past 2^32. */
const keyArbitrary = fc.oneof(
  fc.integer({ min: 1, max: 40 }),
  fc.integer({ min: 1, max: 8 }).map((n) => n * 1024),
  fc.integer({ min: 2 ** 32, max: 2 ** 32 + 40 }),
);

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), key: keyArbitrary, value: fc.integer() }),
  fc.record({ kind: fc.constant('delete' as const), key: keyArbitrary }),
  fc.record({ kind: fc.constant('get' as const), key: keyArbitrary }),
);

describe('IntTable', () => {
  it('answers as a Map does across sets, deletes and gets, through growth and probe runs that wrap', () => {
    fc.assert(
      fc.property(fc.array(operationArbitrary, { maxLength: 300 }), (operations) => {
        const table = new IntTable<number>();
        const model = new Map<number, number>();
        for (const operation of operations) {
          if (operation.kind === 'set') {
            table.set(operation.key, operation.value);
            model.set(operation.key, operation.value);
          } else if (operation.kind === 'delete') {
            expect(table.delete(operation.key)).to.equal(model.delete(operation.key));
          } else {
            expect(table.get(operation.key)).to.equal(model.get(operation.key));
            expect(table.has(operation.key)).to.equal(model.has(operation.key));
          }
          expect(table.size).to.equal(model.size);
        }
        for (const [key, value] of model) expect(table.get(key)).to.equal(value);
        expect(table.valuesNow().sort((a, b) => a - b)).to.deep.equal([...model.values()].sort((a, b) => a - b));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps up with ids handed out in order and taken back out of order, as asks are', () => {
    const table = new IntTable<number>();
    const live: number[] = [];
    for (let id = 1; id <= 50_000; id++) {
      table.set(id, id);
      live.push(id);
      // Every third ask outlives a thousand others; the rest are answered at once.
      if (id % 3 !== 0) expect(table.delete(live.pop()!)).to.equal(true);
      if (live.length > 1_000) expect(table.delete(live.shift()!)).to.equal(true);
    }
    expect(table.size).to.equal(live.length);
    for (const id of live) expect(table.get(id)).to.equal(id);
  });

  it('refuses keys that are not positive whole numbers, and finds none of them', () => {
    const table = new IntTable<string>();
    table.set(5, 'five');
    expect([table.has(0), table.get(0), table.delete(0), table.size]).to.deep.equal([false, undefined, false, 1]);
    for (const key of [0, -1, 1.5, Number.NaN, 2 ** 53]) expect(() => table.set(key, 'x')).to.throw(InvariantError, /positive whole numbers/);
  });
});
