import { expect } from 'chai';
import fc from 'fast-check';
import { Mailbox } from '../../../actors/runtime/mailbox.js';
import { BoundedQueue } from '../../../ground/bounded-queue.js';

type Op = { readonly kind: 'offer'; readonly value: number; readonly origin: number } | { readonly kind: 'shift' };

const ops = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('offer' as const), value: fc.integer(), origin: fc.integer({ min: -1000, max: 1000 }) }),
    fc.constant({ kind: 'shift' as const }),
  ),
  { maxLength: 400 },
);

describe('Mailbox (model test against a plain array queue)', () => {
  it('behaves like a bounded FIFO of (message, origin) for any interleaving of offer and shift', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), ops, (capacity, sequence: Op[]) => {
        const mailbox = new Mailbox(capacity);
        const model: [number, number][] = [];
        for (const op of sequence) {
          if (op.kind === 'offer') {
            const accepted = mailbox.offer(op.value, op.origin, 0);
            expect(accepted).to.equal(model.length < capacity);
            if (accepted) model.push([op.value, op.origin]);
          } else if (model.length > 0) {
            const [value, origin] = model.shift()!;
            expect(mailbox.shift()).to.equal(value);
            expect(mailbox.shiftedOrigin).to.equal(origin);
          }
          expect(mailbox.count).to.equal(model.length);
          expect(mailbox.isFull).to.equal(model.length >= capacity);
        }
        const drained: number[] = [];
        mailbox.drain((message) => drained.push(message as number));
        expect(drained).to.deep.equal(model.map(([value]) => value));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps trace causes aligned with their messages across growth', () => {
    const mailbox = new Mailbox(64);
    for (let i = 0; i < 50; i++) mailbox.offer(i, i, i % 3 === 0 ? 1000 + i : 0);
    for (let i = 0; i < 50; i++) {
      expect(mailbox.shift()).to.equal(i);
      expect(mailbox.shiftedCause).to.equal(i % 3 === 0 ? 1000 + i : 0);
    }
  });

  it('rejects capacities it cannot honour with a clear error', () => {
    expect(() => new Mailbox(0)).to.throw(/capacity/);
    expect(() => new Mailbox(1.5)).to.throw(/capacity/);
  });
});

describe('BoundedQueue (model test)', () => {
  it('is a bounded FIFO for any interleaving of push and shift', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), ops, (capacity, sequence: Op[]) => {
        const queue = new BoundedQueue<number>(capacity, 2);
        const model: number[] = [];
        for (const op of sequence) {
          if (op.kind === 'offer') {
            const pushed = queue.push(op.value);
            expect(pushed).to.equal(model.length < capacity);
            if (pushed) model.push(op.value);
          } else if (model.length > 0) {
            expect(queue.shift()).to.equal(model.shift());
          }
          expect(queue.count).to.equal(model.length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
