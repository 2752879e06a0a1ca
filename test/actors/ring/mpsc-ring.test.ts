/**
 * Goal: the MPSC ring delivers committed frames in claim order, never shows a claimed but
 * uncommitted frame, and keeps its "everything outside [head, tail) is zero" invariant.
 * Method: three producer instances and one consumer instance on one buffer, driven in one thread
 * by fast-check: random interleavings of offer, offerBatch, tryReserve (left open across other
 * calls, so claims commit out of order), commit (shrinking), abort, poll, readView and drain, on
 * 64..1024-byte rings with indices near the 2^30 wrap, against MpscModel. The threaded version of
 * the same checks is in stress.test.ts.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { MpscRing, RingFrameTooLargeError, ringBytesFor } from '../../../actors/ring/index.js';
import { headWord, initRingHeader, ringIndexMask, ringKind, tailWord } from '../../../actors/ring/layout.js';
import { InvariantError } from '../../../ground/errors.js';
import { MpscModel, type ModelClaim } from './mpsc-model.js';

const producerCount = 3;

function framesUpTo(lengthMax: number): fc.Arbitrary<Uint8Array> {
  return fc.integer({ min: 0, max: lengthMax }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
}
const frameArbitrary = fc.oneof(framesUpTo(300), framesUpTo(40), framesUpTo(8));
const producerArbitrary = fc.nat(producerCount - 1);

type Op =
  | { readonly kind: 'offer'; readonly producer: number; readonly frame: Uint8Array }
  | { readonly kind: 'offerBatch'; readonly producer: number; readonly frames: Uint8Array[] }
  | { readonly kind: 'reserve'; readonly producer: number; readonly frame: Uint8Array; readonly slackBytes: number }
  | { readonly kind: 'commit'; readonly producer: number }
  | { readonly kind: 'abort'; readonly producer: number }
  | { readonly kind: 'poll' }
  | { readonly kind: 'view' }
  | { readonly kind: 'drain'; readonly max: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('offer' as const), producer: producerArbitrary, frame: frameArbitrary }),
  fc.record({ kind: fc.constant('offerBatch' as const), producer: producerArbitrary, frames: fc.array(frameArbitrary, { maxLength: 6, size: 'max' }) }),
  fc.record({ kind: fc.constant('reserve' as const), producer: producerArbitrary, frame: frameArbitrary, slackBytes: fc.nat(12) }),
  fc.record({ kind: fc.constant('commit' as const), producer: producerArbitrary }),
  fc.record({ kind: fc.constant('abort' as const), producer: producerArbitrary }),
  fc.constant({ kind: 'poll' as const }),
  fc.constant({ kind: 'view' as const }),
  fc.record({ kind: fc.constant('drain' as const), max: fc.integer({ min: 1, max: 10 }) }),
);

interface OpenClaim {
  readonly claim: ModelClaim;
  readonly frame: Uint8Array;
}

class Harness {
  readonly consumer: MpscRing;
  readonly producers: MpscRing[];
  readonly model: MpscModel;
  readonly open: (OpenClaim | null)[] = new Array<OpenClaim | null>(producerCount).fill(null);

  constructor(capacityBytes: number, shared: boolean, startIndex: number) {
    const buffer = shared ? new SharedArrayBuffer(ringBytesFor(capacityBytes)) : new ArrayBuffer(ringBytesFor(capacityBytes));
    const header = initRingHeader(buffer, ringKind.mpsc, capacityBytes);
    header[headWord] = startIndex;
    header[tailWord] = startIndex;
    this.consumer = MpscRing.attach(buffer);
    this.producers = Array.from({ length: producerCount }, () => MpscRing.attach(buffer));
    this.model = new MpscModel(capacityBytes, startIndex);
  }

  step(op: Op): void {
    const model = this.model;
    switch (op.kind) {
      case 'offer': {
        if (this.open[op.producer] !== null) return; // one reservation per producer at a time
        const ring = this.producers[op.producer]!;
        if (op.frame.length > model.frameLengthMax) {
          expect(() => ring.offer(op.frame)).to.throw(RingFrameTooLargeError);
          return;
        }
        const claims = model.claim([op.frame.length]);
        expect(ring.offer(op.frame), `offer of ${op.frame.length} bytes`).to.equal(claims !== null);
        if (claims !== null) model.commit(claims[0]!, op.frame);
        return;
      }
      case 'offerBatch': {
        if (this.open[op.producer] !== null) return;
        const ring = this.producers[op.producer]!;
        if (op.frames.length > 0 && op.frames[0]!.length > model.frameLengthMax) {
          expect(() => ring.offerBatch(op.frames)).to.throw(RingFrameTooLargeError);
          return;
        }
        const claims = op.frames.length === 0 ? null : model.claim(op.frames.map((frame) => frame.length));
        expect(ring.offerBatch(op.frames), 'offerBatch count').to.equal(claims === null ? 0 : claims.length);
        claims?.forEach((claim, i) => model.commit(claim, op.frames[i]!));
        return;
      }
      case 'reserve': {
        if (this.open[op.producer] !== null || op.frame.length > model.frameLengthMax) return;
        const ring = this.producers[op.producer]!;
        const reservedLength = Math.min(op.frame.length + op.slackBytes, model.frameLengthMax);
        const claims = model.claim([reservedLength]);
        const offset = ring.tryReserve(reservedLength);
        expect(offset >= 0, `tryReserve(${reservedLength})`).to.equal(claims !== null);
        if (claims === null) return;
        ring.bytes.set(op.frame, offset);
        this.open[op.producer] = { claim: claims[0]!, frame: op.frame };
        return;
      }
      case 'commit':
      case 'abort': {
        const open = this.open[op.producer];
        if (open === null || open === undefined) return;
        this.open[op.producer] = null;
        if (op.kind === 'commit') {
          this.producers[op.producer]!.commit(open.frame.length);
          model.commit(open.claim, open.frame);
        } else {
          this.producers[op.producer]!.abort();
          model.abort(open.claim);
        }
        return;
      }
      case 'poll':
        expectBytes(this.consumer.poll(), model.take(), 'poll');
        return;
      case 'view': {
        const view = this.consumer.readView();
        expectBytes(view === null ? null : view.bytes.slice(view.offset, view.offset + view.length), model.take(), 'readView');
        if (view !== null) this.consumer.release();
        return;
      }
      case 'drain': {
        const seen: Uint8Array[] = [];
        this.consumer.drain((bytes, offset, length) => void seen.push(bytes.slice(offset, offset + length)), op.max);
        const expected = model.drain(op.max);
        expect(seen.length, 'drain count').to.equal(expected.length);
        seen.forEach((frame, i) => expectBytes(frame, expected[i]!, 'drain'));
        return;
      }
    }
  }

  /** Every data byte outside the span [head, tail) in the header is zero. */
  checkZeroOutsideClaims(): void {
    const header = this.consumer.header;
    const capacityBytes = this.consumer.capacityBytes;
    const usedBytes = (header[tailWord]! - header[headWord]!) & ringIndexMask;
    expect(usedBytes).to.be.within(0, capacityBytes);
    const start = header[tailWord]! & (capacityBytes - 1);
    for (let i = 0; i < capacityBytes - usedBytes; i++) {
      const position = (start + i) & (capacityBytes - 1);
      if (this.consumer.bytes[position] !== 0) expect.fail(`byte ${position} is not zero outside [head, tail)`);
    }
  }
}

function expectBytes(actual: Uint8Array | null, expected: Uint8Array | null, what: string): void {
  if (expected === null || actual === null) {
    expect(actual === null, `${what}: got ${actual === null ? 'null' : 'a frame'}`).to.equal(expected === null);
    return;
  }
  expect(Array.from(actual), what).to.deep.equal(Array.from(expected));
}

describe('ring: MpscRing', () => {
  it('matches the claim-order model with interleaved producers and open reservations', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(64, 128, 256, 512, 1024),
        fc.boolean(),
        fc.constantFrom(0, 2 ** 30 - 256, 2 ** 30 - 4, 2 ** 29 - 64),
        fc.array(opArbitrary, { minLength: 20, maxLength: 150, size: 'max' }),
        (capacityBytes, shared, startIndex, ops) => {
          const harness = new Harness(capacityBytes, shared, startIndex);
          for (const op of ops) {
            harness.step(op);
            harness.checkZeroOutsideClaims();
          }
          for (let producer = 0; producer < producerCount; producer++) harness.step({ kind: 'commit', producer });
          harness.step({ kind: 'drain', max: 1_000 });
          expect(harness.consumer.poll()).to.equal(null);
          expect(harness.consumer.hasData()).to.equal(false);
          expect(
            Array.from(harness.consumer.bytes).every((byte) => byte === 0),
            'an empty ring is all zero',
          ).to.equal(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds later frames back behind an uncommitted claim', () => {
    const consumer = MpscRing.create(256);
    const slow = MpscRing.attach(consumer.buffer);
    const fast = MpscRing.attach(consumer.buffer);
    const offset = slow.tryReserve(2);
    expect(fast.offer(Uint8Array.of(2))).to.equal(true);
    expect(consumer.hasData()).to.equal(false);
    expect(consumer.poll()).to.equal(null);
    slow.bytes.set([1, 1], offset); // the claim's owner writes its payload late
    slow.commit();
    expectBytes(consumer.poll(), Uint8Array.of(1, 1), 'first claim');
    expectBytes(consumer.poll(), Uint8Array.of(2), 'second claim');
  });

  it('skips an aborted claim and a shrunk commit', () => {
    const ring = MpscRing.create(128);
    ring.tryReserve(20);
    ring.abort();
    const offset = ring.tryReserve(40);
    ring.bytes.set([5, 6], offset);
    ring.commit(2);
    expect(ring.offer(Uint8Array.of(7))).to.equal(true);
    expectBytes(ring.poll(), Uint8Array.of(5, 6), 'shrunk frame');
    expectBytes(ring.poll(), Uint8Array.of(7), 'frame after the padding');
    expect(ring.poll()).to.equal(null);
  });

  it('refuses too-large frames and bad capacities with typed errors', () => {
    const ring = MpscRing.create(64, { shared: false });
    expect(() => ring.offer(new Uint8Array(29))).to.throw(RingFrameTooLargeError);
    expect(() => ring.offerBatch([new Uint8Array(29)])).to.throw(RingFrameTooLargeError);
    expect(ring.offerBatch([new Uint8Array(1), new Uint8Array(29)])).to.equal(1);
    expect(() => MpscRing.create(96)).to.throw(InvariantError, /power of two/);
  });
});
