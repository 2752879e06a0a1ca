/** The vector ring: bounded, order-preserving, drop-newest-and-count, checked against an array model. */
import { expect } from 'chai';
import fc from 'fast-check';
import { VectorRing } from '../../../actors/irq/index.js';
import { InvariantError } from '../../../boot/index.js';

describe('irq vector ring', () => {
  it('drops the newest event when full, counts it, and never grows', () => {
    const ring = new VectorRing<number>(4);
    const accepted = [0, 1, 2, 3, 4, 5].map((n) => ring.push(n));
    expect(accepted).to.deep.equal([true, true, true, true, false, false]);
    expect([ring.count, ring.overruns]).to.deep.equal([4, 2]);
    expect(ring.take(3)).to.deep.equal([0, 1, 2]);
    expect(ring.push(6)).to.equal(true);
    expect(ring.take(10)).to.deep.equal([3, 6]);
    expect(ring.take(10)).to.deep.equal([]);
  });

  it('refuses capacities that are not powers of two within the limits', () => {
    for (const capacity of [0, 3, 6, -4, 1.5, (1 << 20) * 2]) expect(() => new VectorRing(capacity)).to.throw(InvariantError);
    expect(new VectorRing(1).capacity).to.equal(1);
  });

  it('behaves like a bounded FIFO model under any push/take sequence', () => {
    const op = fc.oneof(
      fc.record({ push: fc.integer({ min: 1, max: 20 }) }),
      fc.record({ take: fc.integer({ min: 0, max: 20 }) }),
      fc.constant({ clear: true as const }),
    );
    fc.assert(
      fc.property(fc.constantFrom(1, 2, 8, 16), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
        const ring = new VectorRing<number>(capacity);
        const model: number[] = [];
        let overruns = 0;
        let next = 0;
        for (const o of ops) {
          if ('push' in o) {
            for (let i = 0; i < o.push; i++, next++) {
              const fits = model.length < capacity;
              if (fits) model.push(next);
              else overruns++;
              expect(ring.push(next)).to.equal(fits);
            }
          } else if ('take' in o) {
            expect(ring.take(o.take)).to.deep.equal(model.splice(0, o.take));
          } else {
            expect(ring.clear()).to.equal(model.length);
            model.length = 0;
          }
          expect([ring.count, ring.overruns]).to.deep.equal([model.length, overruns]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
