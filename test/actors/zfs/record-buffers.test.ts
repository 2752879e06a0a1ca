import { expect } from 'chai';
import fc from 'fast-check';
import { RecordBuffers } from '../../../actors/zfs/record-buffers.js';

const sizes = [512, 4096, 16384] as const;

describe('zfs: record buffers, memory used again', () => {
  it('never hands out memory someone holds or may still read, and fills what it hands out (property)', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('take' as const), size: fc.constantFrom(...sizes), contentBytes: fc.nat(16384), fill: fc.integer({ min: 1, max: 255 }) }),
      fc.record({ kind: fc.constant('release' as const), which: fc.nat(), twice: fc.boolean() }),
      fc.record({ kind: fc.constant('recycle' as const) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 80 }), fc.constantFrom(0, 20_000, 1 << 20), (steps, keptBytesMax) => {
        const buffers = new RecordBuffers(keptBytesMax);
        // The model: what the caller holds, and what it released since the last recycle.
        const held: Uint8Array[] = [];
        let waiting = new Set<ArrayBufferLike>();
        for (const each of steps) {
          if (each.kind === 'take') {
            const contents = new Uint8Array(Math.min(each.contentBytes, each.size)).fill(each.fill);
            const block = buffers.take(each.size, contents);
            expect(block.byteLength).to.equal(each.size);
            expect(held.some((other) => other.buffer === block.buffer)).to.equal(false);
            expect(waiting.has(block.buffer)).to.equal(false);
            expect(block.subarray(0, contents.byteLength).every((byte) => byte === each.fill)).to.equal(true);
            expect(block.subarray(contents.byteLength).every((byte) => byte === 0)).to.equal(true);
            // The caller scribbles over all of it, as a write does.
            block.fill(0xab);
            held.push(block);
          } else if (each.kind === 'release' && held.length > 0) {
            const [block] = held.splice(each.which % held.length, 1);
            buffers.release(block!);
            if (each.twice) buffers.release(block!);
            waiting.add(block!.buffer);
          } else if (each.kind === 'recycle') {
            buffers.recycle();
            waiting = new Set();
          }
          const { freeBytes, releasedBytes } = buffers.keptBytes;
          expect(freeBytes + releasedBytes).to.be.at.most(keptBytesMax);
        }
      }),
    );
  });

  it('uses a released buffer again only after recycle, and keeps no view of part of one', () => {
    const buffers = new RecordBuffers(1 << 20);
    const first = buffers.take(4096);
    buffers.release(first);
    expect(buffers.take(4096)).to.not.equal(first);
    buffers.recycle();
    expect(buffers.take(4096)).to.equal(first);
    const whole = new Uint8Array(8192);
    buffers.release(whole.subarray(0, 4096));
    buffers.recycle();
    expect(buffers.keptBytes.freeBytes).to.equal(0);
  });

  it('refuses contents longer than the buffer, and a bound that is no byte count', () => {
    const buffers = new RecordBuffers(0);
    expect(() => buffers.take(512, new Uint8Array(513))).to.throw(RangeError, /513 bytes do not fit/);
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => new RecordBuffers(bad)).to.throw(RangeError, /keptBytesMax/);
  });
});
