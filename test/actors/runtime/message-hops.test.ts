import { expect } from 'chai';
import fc from 'fast-check';
import { MessageHops } from '../../../actors/runtime/message-hops.js';

describe('runtime: telling messages from their hops between CPUs', () => {
  it('takes one send of each chain of hops as the message, whatever order the CPUs report them in (property)', () => {
    // Messages, each a chain of sends (its send, then its hops), the sends of all shuffled so that each
    // chain's own sends may come in any order too, as reports of different CPUs do.
    const chains = fc.array(fc.tuple(fc.integer({ min: 1, max: 4 }), fc.nat(3), fc.nat(3)), { minLength: 1, maxLength: 30 });
    fc.assert(
      fc.property(chains, fc.infiniteStream(fc.nat()), (messages, order) => {
        let nextId = 1;
        const sends = messages.flatMap(([length, from, to]) => {
          const chain: { id: number; cause: number; from: number; to: number; message: number }[] = [];
          const message = nextId;
          let cause = 1_000_000 + message; // the receive it was sent in
          for (let i = 0; i < length; i++) {
            const id = nextId++;
            chain.push({ id, cause, from: from + 1, to: to + 1, message });
            cause = id;
          }
          return chain;
        });
        const iterator = order[Symbol.iterator]();
        for (let i = sends.length - 1; i > 0; i--) {
          const j = iterator.next().value! % (i + 1);
          [sends[i], sends[j]] = [sends[j]!, sends[i]!];
        }
        const hops = new MessageHops();
        const taken = sends.filter((send) => !hops.isHop(send)).map((send) => send.message);
        // Each message at least once; a send and its one hop (the common case) exactly once. A longer
        // chain is taken again only when a middle hop came last and split it.
        expect(new Set(taken).size).to.equal(messages.length);
        for (const message of new Set(sends.filter((send) => send.id === send.message).map((send) => send.message))) {
          const length = sends.filter((send) => send.message === message).length;
          if (length <= 2) expect(taken.filter((taker) => taker === message)).to.have.length(1);
        }
      }),
    );
  });

  it('takes a chain reported in order as one message, and forgets the oldest ids past its bound', () => {
    const hops = new MessageHops(2);
    expect(hops.isHop({ id: 1, cause: 0, from: 1, to: 2 })).to.equal(false);
    expect(hops.isHop({ id: 2, cause: 1, from: 1, to: 2 })).to.equal(true);
    expect(hops.isHop({ id: 3, cause: 2, from: 1, to: 2 })).to.equal(true);
    // Another target is another message, even when its cause is a send.
    expect(hops.isHop({ id: 4, cause: 3, from: 1, to: 9 })).to.equal(false);
    // Id 1 is forgotten by now: a late hop of it counts as a message.
    expect(hops.isHop({ id: 5, cause: 1, from: 1, to: 2 })).to.equal(false);
    expect(() => new MessageHops(0)).to.throw(/at least one/);
  });
});
