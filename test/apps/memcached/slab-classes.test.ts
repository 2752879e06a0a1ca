import { expect } from 'chai';
import fc from 'fast-check';
import { UsageError } from '../../../ground/errors.js';
import { chunkBytesMax, chunkBytesMin, slabClassesCountMax, slabPageBytes } from '../../../apps/memcached/store/limits-slabs.js';
import { chunksPerPage, type SlabGeometry, slabClassFor, slabClassSizes } from '../../../apps/memcached/store/slab-classes.js';

/** Geometries memcached's flags allow: `-n` from 8 bytes, `-f` above 1, chunks up to a page. */
const geometryArbitrary: fc.Arbitrary<SlabGeometry> = fc
  .record({
    alignShift: fc.integer({ min: 0, max: 6 }),
    chunkBytesMin: fc.integer({ min: 1, max: 4096 }),
    maxShift: fc.integer({ min: 13, max: 20 }),
    growthFactor: fc.double({ min: 1.01, max: 4, noNaN: true }),
  })
  .map(({ alignShift, chunkBytesMin: min, maxShift, growthFactor }) => ({
    alignBytes: 2 ** alignShift,
    chunkBytesMin: min,
    chunkBytesMax: 2 ** maxShift,
    growthFactor,
  }));

describe('memcached: slab classes', () => {
  it("are memcached's with its defaults: 96 bytes growing by 1.25, to half a page", () => {
    const sizes = slabClassSizes();
    expect(sizes.slice(0, 6)).to.deep.equal([96, 120, 152, 192, 240, 304]);
    expect(sizes[sizes.length - 1]).to.equal(chunkBytesMax);
    expect(sizes[0]).to.equal(chunkBytesMin);
    expect(chunksPerPage(sizes[0]!)).to.equal(Math.floor(slabPageBytes / 96));
  });

  it('grow strictly by about the factor, aligned, from the smallest chunk to the largest', () => {
    fc.assert(
      fc.property(geometryArbitrary, (geometry) => {
        const sizes = slabClassSizes(geometry);
        const { alignBytes, growthFactor } = geometry;
        expect(sizes.length).to.be.within(1, slabClassesCountMax);
        expect(sizes[sizes.length - 1]).to.equal(geometry.chunkBytesMax);
        if (sizes.length > 1) expect(sizes[0]).to.equal(Math.ceil(geometry.chunkBytesMin / alignBytes) * alignBytes);
        for (const [index, size] of sizes.entries()) {
          expect(size % alignBytes, `class ${index} is aligned`).to.equal(0);
          if (index === 0) continue;
          const previous = sizes[index - 1]!;
          expect(size).to.be.above(previous);
          // Every class but the last is the one before grown by the factor (or one alignment step), rounded up.
          if (index < sizes.length - 1) expect(size).to.be.at.most(Math.max(previous + alignBytes, previous * growthFactor + alignBytes));
        }
        // The classes stop only at the bound on their count or where one more growth would pass the largest chunk.
        const beforeLast = sizes[sizes.length - 2];
        if (beforeLast !== undefined && sizes.length < slabClassesCountMax)
          expect(Math.max(beforeLast + alignBytes, Math.ceil(Math.floor(beforeLast * growthFactor) / alignBytes) * alignBytes)).to.be.above(
            geometry.chunkBytesMax / growthFactor,
          );
      }),
    );
  });

  it('give every item the smallest class that holds it, and none past the largest chunk', () => {
    fc.assert(
      fc.property(geometryArbitrary, fc.integer({ min: 0, max: 2 * slabPageBytes }), (geometry, bytes) => {
        const sizes = slabClassSizes(geometry);
        const index = slabClassFor(sizes, bytes);
        if (bytes > sizes[sizes.length - 1]!) {
          expect(index).to.equal(-1);
          return;
        }
        expect(sizes[index]).to.be.at.least(bytes);
        if (index > 0) expect(sizes[index - 1]).to.be.below(bytes);
      }),
    );
  });

  it('refuse geometries that make no sense', () => {
    const base: SlabGeometry = { chunkBytesMin: 96, chunkBytesMax: 1 << 19, growthFactor: 1.25, alignBytes: 8 };
    for (const bad of [{ growthFactor: 1 }, { alignBytes: 6 }, { chunkBytesMax: 2 * slabPageBytes }, { chunkBytesMin: 0 }, { chunkBytesMax: 1000 + 4 }]) {
      expect(() => slabClassSizes({ ...base, ...bad }), JSON.stringify(bad)).to.throw(UsageError);
    }
  });
});
