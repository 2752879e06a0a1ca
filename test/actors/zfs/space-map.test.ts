/**
 * The space map against a model: a bitmap of units. fast-check drives allocations (from the cursor
 * or from a place), frees of what was allocated, and claims, and every step is held to the model:
 * an allocation lies in free space and is refused only when no free run is long enough, and the
 * free bytes always add up.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { SpaceMap } from '../../../actors/zfs/space-map.js';

const unit = 512;
const units = 64;

type Op =
  | { readonly kind: 'allocate'; readonly units: number; readonly from: number | null }
  | { readonly kind: 'free'; readonly pick: number }
  | { readonly kind: 'claim'; readonly at: number; readonly units: number };

const ops = fc.array<Op>(
  fc.oneof(
    fc.record({ kind: fc.constant('allocate' as const), units: fc.integer({ min: 1, max: 9 }), from: fc.option(fc.integer({ min: 0, max: units - 1 })) }),
    fc.record({ kind: fc.constant('free' as const), pick: fc.nat() }),
    fc.record({ kind: fc.constant('claim' as const), at: fc.integer({ min: 0, max: units - 1 }), units: fc.integer({ min: 1, max: 4 }) }),
  ),
  { maxLength: 120 },
);

describe('zfs space map', () => {
  it('agrees with a bitmap model on allocations, frees and claims', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), ops, (startUnits, steps) => {
        const start = startUnits * unit;
        const space = new SpaceMap(start, start + units * unit, unit);
        const used = new Array<boolean>(units).fill(false);
        const held: { at: number; units: number }[] = [];
        const longestFreeRun = () => {
          let best = 0;
          let run = 0;
          for (const bit of used) {
            run = bit ? 0 : run + 1;
            best = Math.max(best, run);
          }
          return best;
        };
        for (const step of steps) {
          if (step.kind === 'allocate') {
            const at = space.allocate(step.units * unit, step.from === null ? undefined : start + step.from * unit);
            if (at < 0) {
              expect(longestFreeRun()).to.be.lessThan(step.units);
              continue;
            }
            const first = (at - start) / unit;
            for (let u = first; u < first + step.units; u++) {
              expect(used[u], `unit ${u} allocated twice`).to.equal(false);
              used[u] = true;
            }
            held.push({ at, units: step.units });
          } else if (step.kind === 'free') {
            if (held.length === 0) continue;
            const [block] = held.splice(step.pick % held.length, 1);
            space.free(block!.at, block!.units * unit);
            const first = (block!.at - start) / unit;
            for (let u = first; u < first + block!.units; u++) used[u] = false;
          } else {
            const count = Math.min(step.units, units - step.at);
            const wasFree = used.slice(step.at, step.at + count).every((bit) => !bit);
            expect(space.isFree(start + step.at * unit, count * unit)).to.equal(wasFree);
            expect(space.claim(start + step.at * unit, count * unit)).to.equal(wasFree);
            if (wasFree) {
              for (let u = step.at; u < step.at + count; u++) used[u] = true;
              held.push({ at: start + step.at * unit, units: count });
            }
          }
          expect(space.freeBytes).to.equal(used.filter((bit) => !bit).length * unit);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('refuses ranges that are not whole units of its area, a free of free space, and claims of such ranges', () => {
    const space = new SpaceMap(4096, 65536, 4096);
    expect(() => space.allocate(100)).to.throw(RangeError);
    expect(() => space.free(0, 4096)).to.throw(RangeError);
    expect(() => space.free(8192, 4096)).to.throw(/free already/);
    const at = space.allocate(8192);
    expect(() => space.free(at, 12288)).to.throw(/free already/);
    // A claim is what a pointer read at import says: a range it cannot be is refused, not thrown.
    for (const [offset, bytes] of [
      [0, 4096],
      [61440, 8192],
      [4097, 4096],
      [8192, 100],
      [8192, 0],
    ] as const)
      expect(space.claim(offset, bytes), `${offset}+${bytes}`).to.equal(false);
  });
});
