/**
 * The run queue against a model: a sorted array of (class, runtime, seq). fast-check drives random
 * sequences of inserts (after and before equals), pops, removals and uniform rescalings (what a
 * renormalisation does to every queued runtime) and compares every peek and pop with the model.
 * Runtimes come from a small set so that ties, and thus the tie-break, are exercised.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { RunQueue, SchedClass, type RunQueueEntry } from '../../../actors/sched/index.js';
import { schedLimits } from '../../../actors/sched/index.js';

interface Entry extends RunQueueEntry {
  readonly id: number;
  /** The model's own tie-break, in the queue's scheme but never renumbered. */
  modelSeq?: number;
}

type Op =
  | { readonly kind: 'insert'; readonly runtime: number; readonly realtime: boolean; readonly first: boolean }
  | { readonly kind: 'pop' }
  | { readonly kind: 'remove'; readonly pick: number }
  | { readonly kind: 'scale' };

// 1e-280 is flushed after one rescale, 1e-250 after two: both paths of `rescale` are exercised.
const runtimes = [0, 0.5, 1, 1, 2, 3, 1e-250, 1e-280, Number.POSITIVE_INFINITY];

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('insert' as const), runtime: fc.constantFrom(...runtimes), realtime: fc.boolean(), first: fc.boolean() }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('pop' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('scale' as const) }) },
);

/** The model's order: real-time first, then (runtime, seq); seq mirrors the queue's scheme. */
function modelCompare(a: Entry, b: Entry): number {
  const classes = Number(a.schedClass !== SchedClass.realtime) - Number(b.schedClass !== SchedClass.realtime);
  if (classes !== 0) return classes;
  return a.runtime < b.runtime ? -1 : a.runtime > b.runtime ? 1 : a.modelSeq! - b.modelSeq!;
}

describe('sched run queue', () => {
  it('agrees with a sorted-array model on random operation sequences, renumbering its sequence numbers as it goes', () => {
    fc.assert(
      fc.property(fc.array(opArbitrary, { maxLength: 200 }), fc.constantFrom(1, 3, 8, 2 ** 30), (ops, seqMax) => {
        const queue = new RunQueue<Entry>(64, seqMax);
        let model: Entry[] = [];
        let nextId = 0;
        let modelLast = 0;
        let modelFirstLast = 0;
        for (const op of ops) {
          if (op.kind === 'insert') {
            if (model.length === queue.capacity) continue;
            const realtime = op.realtime;
            const entry: Entry = {
              id: nextId++,
              schedClass: realtime ? SchedClass.realtime : op.runtime === Infinity ? SchedClass.idle : SchedClass.fair,
              runtime: realtime ? 0 : op.runtime,
              seq: 0,
              heapIndex: -1,
              modelSeq: op.first ? -++modelFirstLast : ++modelLast,
            };
            if (op.first) queue.insertFirstEqual(entry);
            else queue.insert(entry);
            model.push(entry);
          } else if (op.kind === 'pop') {
            if (model.length === 0) continue;
            const popped = queue.pop();
            expect(popped.id).to.equal(model[0]!.id);
            model = model.slice(1);
          } else if (op.kind === 'remove') {
            if (model.length === 0) continue;
            const victim = model[op.pick % model.length]!;
            queue.remove(victim);
            model = model.filter((entry) => entry !== victim);
          } else {
            // What a renormalisation does: every runtime times 2^-126 (exact, order unchanged), except
            // that a product below the smallest normal double is flushed to 0.
            let expected = 0;
            for (const entry of model) {
              const product = entry.runtime * schedLimits.renormalizeScale;
              if (entry.runtime !== 0 && Math.abs(product) < 2 ** -1022) expected++;
            }
            expect(queue.rescale(schedLimits.renormalizeScale)).to.equal(expected);
          }
          model.sort(modelCompare);
          expect(queue.count).to.equal(model.length);
          expect(queue.peek()?.id).to.equal(model[0]?.id);
          expect(queue.toSortedArray().map((entry) => entry.id)).to.deep.equal(model.map((entry) => entry.id));
        }
        while (model.length > 0) {
          expect(queue.pop().id).to.equal(model.shift()!.id);
        }
        expect(queue.count).to.equal(0);
        expect(queue.peek()).to.equal(undefined);
      }),
      { numRuns: 300 },
    );
  });

  it('serves equal runtimes in insertion order, and insertFirstEqual before its equals', () => {
    const queue = new RunQueue<Entry>(8);
    const make = (id: number): Entry => ({ id, schedClass: SchedClass.fair, runtime: 1, seq: 0, heapIndex: -1 });
    queue.insert(make(1));
    queue.insert(make(2));
    queue.insertFirstEqual(make(3));
    queue.insert(make(4));
    queue.insertFirstEqual(make(5));
    expect([1, 2, 3, 4, 5].map(() => queue.pop().id)).to.deep.equal([5, 3, 1, 2, 4]);
  });

  it('serves the real-time class FIFO before any fair entry, whatever the runtimes', () => {
    const queue = new RunQueue<Entry>(8);
    queue.insert({ id: 1, schedClass: SchedClass.fair, runtime: 0, seq: 0, heapIndex: -1 });
    queue.insert({ id: 2, schedClass: SchedClass.realtime, runtime: 0, seq: 0, heapIndex: -1 });
    queue.insert({ id: 3, schedClass: SchedClass.realtime, runtime: 0, seq: 0, heapIndex: -1 });
    expect([queue.pop().id, queue.pop().id, queue.pop().id]).to.deep.equal([2, 3, 1]);
  });

  it('refuses a second insert of the same entry, a pop from empty, and a full queue', () => {
    const queue = new RunQueue<Entry>(1);
    const entry: Entry = { id: 1, schedClass: SchedClass.fair, runtime: 0, seq: 0, heapIndex: -1 };
    queue.insert(entry);
    expect(() => queue.insert(entry)).to.throw(/at most once/);
    expect(() => queue.insert({ ...entry, heapIndex: -1 })).to.throw(/full/);
    queue.pop();
    expect(() => queue.pop()).to.throw(/empty/);
    expect(() => queue.remove(entry)).to.throw(/not in this heap/);
  });
});
