import { expect } from 'chai';
import fc from 'fast-check';
import { Mailbox } from '../../../actors/runtime/mailbox.js';
import { MailboxPool } from '../../../actors/runtime/mailbox-pool.js';
import { mailboxPoolCountMax, mailboxPooledSlotsMax, mailboxReclaimSleeps } from '../../../actors/runtime/limits.js';
import { InvariantError } from '../../../ground/errors.js';
import { fromReceive, Kernel } from '../../../boot/index.js';
import { shutdown } from '../../helpers/kernel.js';
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

describe('MailboxPool', () => {
  it('hands back a given mailbox that then behaves as a fresh one of the new bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), ops, (first, second, sequence: Op[]) => {
        const pool = new MailboxPool();
        const used = pool.take(first);
        used.offer('traced', 7, 99);
        used.drain(() => {});
        pool.give(used);
        const mailbox = pool.take(second);
        expect(mailbox, 'the same object, reused').to.equal(used);
        const model: number[] = [];
        for (const op of sequence) {
          if (op.kind === 'offer') {
            expect(mailbox.offer(op.value, op.origin, 0)).to.equal(model.length < second);
            if (model.length < second) model.push(op.value);
          } else if (model.length > 0) {
            expect(mailbox.shift()).to.equal(model.shift());
            expect(mailbox.shiftedCause, 'no cause left from the last actor').to.equal(0);
          }
        }
        expect(mailbox.capacity).to.equal(second);
      }),
      { numRuns: 200 },
    );
  });

  it('keeps at most mailboxPoolCountMax mailboxes, none grown past mailboxPooledSlotsMax slots', () => {
    const pool = new MailboxPool();
    const grown = pool.take(1_000);
    for (let i = 0; i <= mailboxPooledSlotsMax; i++) grown.offer(i, 0, 0);
    grown.drain(() => {});
    pool.give(grown);
    expect(pool.size, 'a mailbox grown for a burst is left to the GC').to.equal(0);
    for (let i = 0; i < mailboxPoolCountMax + 10; i++) pool.give(new Mailbox(10));
    expect(pool.size).to.equal(mailboxPoolCountMax);
  });

  it('refuses a mailbox that still holds messages', () => {
    const pool = new MailboxPool();
    const mailbox = pool.take(10);
    mailbox.offer('left', 0, 0);
    expect(() => pool.give(mailbox)).to.throw(InvariantError);
  });
});

describe('mailboxes of actors', () => {
  it('an actor idle while mailboxReclaimSleeps others ran dry gives its mailbox back, and takes one with its next message', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated' });
    try {
      type Note = { readonly type: 'n'; readonly n: number };
      const seen: number[] = [];
      const recorder = kernel.spawn(fromReceive<Note>((message) => void seen.push(message.n), 'Recorder'));
      const idlers = Array.from({ length: mailboxReclaimSleeps }, () => kernel.spawn(fromReceive<Note>(() => {}, 'Idler')));
      const cellOf = (ref: { readonly pid: number }) => kernel.core.cellOf(ref.pid)!;
      recorder.tell({ type: 'n', n: 0 });
      recorder.tell({ type: 'n', n: 1 });
      kernel.simulatedClock.runReady();
      expect(cellOf(recorder).mailbox, 'kept while recently active').to.not.equal(null);
      for (const [i, idler] of idlers.entries()) {
        idler.tell({ type: 'n', n: i });
        kernel.simulatedClock.runReady();
      }
      expect(cellOf(recorder).mailbox, 'given back after the others ran dry').to.equal(null);
      expect(kernel.core.mailboxes.size).to.be.greaterThan(0);
      recorder.tell({ type: 'n', n: 2 });
      recorder.tell({ type: 'n', n: 3 });
      kernel.simulatedClock.runReady();
      expect(seen).to.deep.equal([0, 1, 2, 3]);
    } finally {
      await shutdown(kernel);
    }
  });
});
