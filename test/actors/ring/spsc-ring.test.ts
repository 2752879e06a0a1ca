/**
 * Goal: the SPSC ring behaves exactly like a FIFO of byte frames with the ring's space accounting.
 * Method: fast-check runs random interleavings of every producer and consumer call (offer,
 * offerBatch, reserve + commit with shrinking and abort, publish, poll, readView, drain) with
 * random frames of 0..300 bytes on 64..1024-byte rings, over both buffer kinds and with indices
 * that start just short of the 2^30 index wrap, against SpscModel. Every frame must come out
 * equal and in order; `offer` refuses exactly when the model says the frame does not fit.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { RingFrameTooLargeError, SpscRing, frameLengthMaxFor, ringBytesFor } from '../../../actors/ring/index.js';
import { headWord, initRingHeader, ringKind, tailWord } from '../../../actors/ring/layout.js';
import { InvariantError } from '../../../ground/errors.js';
import { SpscModel } from './spsc-model.js';

/** Random contents of a length drawn uniformly from 0..lengthMax (not fast-check's small-biased sizes). */
function framesUpTo(lengthMax: number): fc.Arbitrary<Uint8Array> {
  return fc.integer({ min: 0, max: lengthMax }).chain((length) => fc.uint8Array({ minLength: length, maxLength: length }));
}

const frameArbitrary = fc.oneof(framesUpTo(300), framesUpTo(40), framesUpTo(8));

type Op =
  | { readonly kind: 'offer'; readonly frame: Uint8Array }
  | { readonly kind: 'offerBatch'; readonly frames: Uint8Array[] }
  | { readonly kind: 'reserve'; readonly frames: Uint8Array[]; readonly slackBytes: number; readonly abortLast: boolean; readonly publish: boolean }
  | { readonly kind: 'poll' }
  | { readonly kind: 'view' }
  | { readonly kind: 'drain'; readonly max: number };

const opArbitrary: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('offer' as const), frame: frameArbitrary }),
  fc.record({ kind: fc.constant('offerBatch' as const), frames: fc.array(frameArbitrary, { maxLength: 8, size: 'max' }) }),
  fc.record({
    kind: fc.constant('reserve' as const),
    frames: fc.array(frameArbitrary, { minLength: 1, maxLength: 4, size: 'max' }),
    slackBytes: fc.nat(12),
    abortLast: fc.boolean(),
    publish: fc.boolean(),
  }),
  fc.constant({ kind: 'poll' as const }),
  fc.constant({ kind: 'view' as const }),
  fc.record({ kind: fc.constant('drain' as const), max: fc.integer({ min: 1, max: 10 }) }),
);

/** Index both sides start from: 0, or just short of the 2^30 index wrap, or mid-range. */
const startArbitrary = fc.constantFrom(0, 2 ** 30 - 256, 2 ** 30 - 4, 2 ** 29 - 128);

function ringAt(capacityBytes: number, shared: boolean, startIndex: number): SpscRing {
  const buffer = shared ? new SharedArrayBuffer(ringBytesFor(capacityBytes)) : new ArrayBuffer(ringBytesFor(capacityBytes));
  const header = initRingHeader(buffer, ringKind.spsc, capacityBytes);
  header[headWord] = startIndex;
  header[tailWord] = startIndex;
  return SpscRing.attach(buffer);
}

function expectBytes(actual: Uint8Array | null, expected: Uint8Array | null, what: string): void {
  if (expected === null || actual === null) {
    expect(actual === null, `${what}: got ${actual === null ? 'null' : 'a frame'}`).to.equal(expected === null);
    return;
  }
  expect(Array.from(actual), what).to.deep.equal(Array.from(expected));
}

/** Runs one op on ring and model; throws on the first difference. */
function step(ring: SpscRing, model: SpscModel, op: Op): void {
  switch (op.kind) {
    case 'offer': {
      if (op.frame.length > model.frameLengthMax) {
        expect(() => ring.offer(op.frame)).to.throw(RingFrameTooLargeError);
        return;
      }
      const wasEmpty = model.isEmpty;
      const fits = model.fits(op.frame.length);
      const accepted = ring.offer(op.frame);
      expect(accepted, `offer of ${op.frame.length} bytes`).to.equal(fits);
      if (wasEmpty) expect(accepted, 'an empty ring refused a frame that fits').to.equal(true);
      if (accepted) {
        model.seal(op.frame.length, op.frame);
        model.publish();
      }
      return;
    }
    case 'offerBatch': {
      let expected = 0;
      const first = op.frames[0];
      if (first !== undefined && first.length > model.frameLengthMax) {
        expect(() => ring.offerBatch(op.frames)).to.throw(RingFrameTooLargeError);
        return;
      }
      const taken = ring.offerBatch(op.frames);
      for (const frame of op.frames) {
        if (frame.length > model.frameLengthMax || !model.fits(frame.length)) break;
        model.seal(frame.length, frame);
        expected++;
      }
      expect(taken, 'offerBatch count').to.equal(expected);
      if (expected > 0) model.publish();
      return;
    }
    case 'reserve': {
      for (let i = 0; i < op.frames.length; i++) {
        const frame = op.frames[i]!;
        const reservedLength = Math.min(frame.length + op.slackBytes, model.frameLengthMax);
        if (frame.length > reservedLength) {
          expect(() => ring.tryReserve(frame.length)).to.throw(RingFrameTooLargeError);
          break;
        }
        const offset = ring.tryReserve(reservedLength);
        expect(offset >= 0, `tryReserve(${reservedLength})`).to.equal(model.fits(reservedLength));
        if (offset < 0) break;
        expect(offset % 4, 'payload offsets are 4-aligned').to.equal(0);
        ring.bytes.set(frame, offset);
        if (op.abortLast && i === op.frames.length - 1) {
          ring.abort();
        } else {
          ring.commit(frame.length);
          model.seal(reservedLength, frame);
        }
      }
      if (op.publish) {
        ring.publish();
        model.publish();
      }
      return;
    }
    case 'poll':
      expectBytes(ring.poll(), model.take(), 'poll');
      return;
    case 'view': {
      const view = ring.readView();
      const expected = model.take();
      expectBytes(view === null ? null : view.bytes.slice(view.offset, view.offset + view.length), expected, 'readView');
      if (view !== null) ring.release();
      return;
    }
    case 'drain': {
      const seen: Uint8Array[] = [];
      const count = ring.drain((bytes, offset, length) => void seen.push(bytes.slice(offset, offset + length)), op.max);
      expect(count).to.equal(seen.length);
      for (const frame of seen) expectBytes(frame, model.take(), 'drain');
      if (count < op.max) expect(model.take(), 'drain stopped early').to.equal(null);
      return;
    }
  }
}

describe('ring: SpscRing', () => {
  it('matches the array-queue model under random interleavings (both buffer kinds, wrapping indices)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(64, 128, 256, 512, 1024),
        fc.boolean(),
        startArbitrary,
        fc.array(opArbitrary, { minLength: 20, maxLength: 150, size: 'max' }),
        (capacityBytes, shared, startIndex, ops) => {
          const ring = ringAt(capacityBytes, shared, startIndex);
          const model = new SpscModel(capacityBytes, startIndex);
          for (const op of ops) step(ring, model, op);
          // Finally everything published comes out, in order.
          ring.publish();
          model.publish();
          for (let frame = model.take(); frame !== null; frame = model.take()) expectBytes(ring.poll(), frame, 'final poll');
          expect(ring.poll()).to.equal(null);
          expect(ring.hasData()).to.equal(false);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('moves frames between two instances attached to one SharedArrayBuffer', () => {
    const producer = SpscRing.create(256);
    const consumer = SpscRing.attach(producer.buffer);
    expect(producer.buffer).to.be.instanceOf(SharedArrayBuffer);
    for (let i = 0; i < 1_000; i++) {
      const frame = Uint8Array.from({ length: i % 100 }, (_, k) => (i + k) & 255);
      expect(producer.offer(frame)).to.equal(true);
      expectBytes(consumer.poll(), frame, `frame ${i}`);
    }
  });

  it('offerRange copies exactly the range, from sources reused frame after frame, aligned or not, up to their last byte', () => {
    // An encoder hands over ranges of one buffer: the copy takes whole words from aligned ones and
    // caches what it read of the source, so reuse, offsets into a bigger buffer, ranges that end at
    // the buffer's last byte and a detached source must all come out byte-exact.
    const sourceArbitrary = fc.record({
      bufferBytes: fc.integer({ min: 1, max: 400 }),
      viewStart: fc.integer({ min: 0, max: 8 }),
      shared: fc.boolean(),
    });
    const rangesArbitrary = fc.array(fc.record({ start: fc.nat(), length: fc.nat() }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(sourceArbitrary, rangesArbitrary, fc.boolean(), ({ bufferBytes, viewStart, shared }, ranges, ringShared) => {
        const buffer = shared ? new SharedArrayBuffer(bufferBytes) : new ArrayBuffer(bufferBytes);
        const start = Math.min(viewStart, bufferBytes - 1);
        const source = new Uint8Array(buffer, start);
        for (let i = 0; i < source.length; i++) source[i] = (i * 7 + 3) & 255;
        const ring = SpscRing.create(1024, { shared: ringShared });
        for (const range of ranges) {
          const at = range.start % source.length;
          const length = Math.min(range.length % 200, source.length - at);
          // Garbage in the ring's padding must not show: fill the slot the frame will take.
          ring.bytes.fill(0xee);
          expect(ring.offerRange(source, at, length)).to.equal(true);
          expectBytes(ring.poll(), source.subarray(at, at + length), `range ${at}+${length} of a ${source.length}-byte view at ${start}`);
        }
      }),
      { numRuns: 300 },
    );
    const ring = SpscRing.create(256);
    const source = Uint8Array.from({ length: 64 }, (_, i) => i);
    expect(ring.offerRange(source, 4, 20)).to.equal(true);
    expectBytes(ring.poll(), source.subarray(4, 24), 'before the transfer');
    const moved = structuredClone(source.buffer, { transfer: [source.buffer] });
    expect(moved.byteLength).to.equal(64);
    // The detached view is now empty: the range no longer lies within it.
    expect(() => ring.offerRange(source, 4, 20)).to.throw(InvariantError, /within bytes/);
    expect(() => ring.offerRange(Uint8Array.of(1, 2), 1, 2)).to.throw(InvariantError, /within bytes/);
  });

  it('works over a plain ArrayBuffer, and poll returns copies that outlive the frame', () => {
    const ring = SpscRing.create(64, { shared: false });
    expect(ring.buffer).to.be.instanceOf(ArrayBuffer);
    expect(ring.offer(Uint8Array.of(1, 2, 3))).to.equal(true);
    const copy = ring.poll()!;
    expect(copy.buffer).to.be.instanceOf(ArrayBuffer);
    expect(ring.offer(Uint8Array.of(9, 9, 9, 9, 9, 9, 9, 9))).to.equal(true);
    expect(Array.from(copy)).to.deep.equal([1, 2, 3]);
  });

  it('accepts a frame of exactly frameLengthMax on an empty ring wherever the tail sits', () => {
    for (let shift = 0; shift < 64; shift += 4) {
      const ring = SpscRing.create(64);
      // Empty frames take 4 bytes each: move both indices to `shift`.
      for (let i = 0; i < shift / 4; i++) ring.offer(new Uint8Array(0));
      while (ring.poll() !== null);
      expect(ring.offer(new Uint8Array(ring.frameLengthMax)), `tail at ${shift}`).to.equal(true);
    }
  });

  it('refuses frames longer than half the ring with RingFrameTooLargeError', () => {
    const ring = SpscRing.create(1024);
    expect(ring.frameLengthMax).to.equal(frameLengthMaxFor(1024)).and.to.equal(508);
    const error = (() => {
      try {
        ring.offer(new Uint8Array(509));
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).to.be.instanceOf(RingFrameTooLargeError);
    expect((error as RingFrameTooLargeError).code).to.equal('ring-frame-too-large');
    expect((error as RingFrameTooLargeError).lengthBytesMax).to.equal(508);
    expect(() => ring.tryReserve(509)).to.throw(RingFrameTooLargeError, /509-byte frame exceeds .* 508 bytes/);
    expect(ring.offer(new Uint8Array(508))).to.equal(true);
  });

  it('rejects bad capacities with a clear InvariantError', () => {
    expect(() => SpscRing.create(100)).to.throw(InvariantError, /power of two in bytes, got 100/);
    expect(() => SpscRing.create(32)).to.throw(InvariantError, /at least 64 bytes, got 32/);
    expect(() => SpscRing.create(2 ** 30)).to.throw(InvariantError, /at most 536870912 bytes/);
    expect(() => SpscRing.create(0)).to.throw(InvariantError, /power of two/);
    expect(() => ringBytesFor(1.5)).to.throw(InvariantError, /power of two/);
  });

  it('refuses to attach to a buffer that is not an SPSC ring', () => {
    expect(() => SpscRing.attach(new SharedArrayBuffer(ringBytesFor(64)))).to.throw(InvariantError, /not initialised as a ring/);
    expect(() => SpscRing.attach(new ArrayBuffer(16))).to.throw(InvariantError, /too small/);
  });

  it('enforces one reservation and one view at a time', () => {
    const ring = SpscRing.create(256);
    ring.tryReserve(4);
    expect(() => ring.tryReserve(4)).to.throw(InvariantError, /commit\(\) or abort\(\)/);
    expect(() => ring.commit(5)).to.throw(InvariantError, /5 bytes exceed the 4 reserved/);
    ring.commit();
    ring.publish();
    expect(() => ring.commit()).to.throw(InvariantError, /nothing is reserved/);
    expect(ring.readView()).to.not.equal(null);
    expect(() => ring.poll()).to.throw(InvariantError, /release\(\)/);
    ring.release();
    expect(() => ring.release()).to.throw(InvariantError, /no frame is being viewed/);
  });

  it('keeps sealed frames invisible until publish()', () => {
    const ring = SpscRing.create(256);
    const offset = ring.tryReserve(3);
    ring.bytes.set([7, 8, 9], offset);
    ring.commit();
    expect(ring.hasData()).to.equal(false);
    expect(ring.poll()).to.equal(null);
    ring.publish();
    expect(ring.hasData()).to.equal(true);
    expectBytes(ring.poll(), Uint8Array.of(7, 8, 9), 'published frame');
  });

  it('counts a frame whose drain handler throws as consumed', () => {
    const ring = SpscRing.create(256);
    ring.offerBatch([Uint8Array.of(1), Uint8Array.of(2), Uint8Array.of(3)]);
    expect(() =>
      ring.drain((bytes, offset) => {
        if (bytes[offset] === 2) throw new Error('poison');
      }, 10),
    ).to.throw('poison');
    expectBytes(ring.poll(), Uint8Array.of(3), 'frame after the poison frame');
  });

  it('leaves a refused frame first in line, across wraps, and frees only what was taken', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 60 }), fc.nat({ max: 5 }), (lengths, refuseEvery) => {
        const ring = SpscRing.create(128, { shared: false });
        const queue: Uint8Array[] = [];
        let next = 0;
        for (const length of lengths) {
          const frame = Uint8Array.from({ length }, (_, k) => (next + k) & 255);
          if (ring.offer(frame)) {
            queue.push(frame);
            next++;
          }
          // Refuse every (refuseEvery+1)-th frame once, then take it: nothing lost, nothing reordered.
          let seen = 0;
          const taken: Uint8Array[] = [];
          const count = ring.drain((bytes, offset, frameLength) => {
            if (seen++ === refuseEvery) return false;
            taken.push(bytes.slice(offset, offset + frameLength));
            return true;
          }, 3);
          expect(count).to.equal(taken.length);
          for (const frame of taken) expectBytes(frame, queue.shift()!, 'taken in order');
        }
        while (queue.length > 0) expectBytes(ring.poll(), queue.shift()!, 'left in the ring in order');
        expect(ring.poll()).to.equal(null);
      }),
    );
  });
});
