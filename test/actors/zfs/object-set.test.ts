/**
 * Objects copied on write, against a model: a map of byte arrays. fast-check drives creates,
 * writes (small and across blocks, sparse and far out, so that trees grow levels), truncations,
 * removals, reads and syncs over a `MemoryBlockIo`, which fails on a read of a freed block, a free
 * of a freed block and a read that does not verify. After every sync:
 * - a set loaded afresh from the new root holds exactly the model;
 * - the blocks not freed are exactly the blocks the tree points at: nothing leaked, and nothing
 *   freed that the tree still uses.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { isHole } from '../../../actors/zfs/block-pointer.js';
import { NoSuchObjectError, ObjectSet } from '../../../actors/zfs/object-set.js';
import { levelsFor, pointersPerIndirect } from '../../../actors/zfs/object-tree.js';
import { MemoryBlockIo } from './helpers/memory-block-io.js';

const blockBytes = 512;

type Op =
  | { readonly kind: 'create' }
  | { readonly kind: 'write'; readonly pick: number; readonly offset: number; readonly length: number; readonly byte: number }
  | { readonly kind: 'truncate'; readonly pick: number; readonly size: number }
  | { readonly kind: 'remove'; readonly pick: number }
  | { readonly kind: 'read'; readonly pick: number; readonly offset: number; readonly length: number }
  | { readonly kind: 'sync' };

// Offsets near 0, a block or two out, and far enough to need a third level (128 × 128 blocks).
const offset = fc.oneof(
  fc.integer({ min: 0, max: 3 * blockBytes }),
  fc.integer({ min: 0, max: 200 * blockBytes }),
  fc.integer({ min: 0, max: 20_000 * blockBytes }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('create' as const) }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('write' as const),
      pick: fc.nat(),
      offset,
      length: fc.integer({ min: 1, max: 3 * blockBytes }),
      byte: fc.integer({ min: 1, max: 255 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate' as const), pick: fc.nat(), size: offset }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('read' as const), pick: fc.nat(), offset, length: fc.integer({ min: 0, max: 3 * blockBytes }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('sync' as const) }) },
);

/** The model's bytes of an object, grown or cut to `size` (zeros past what was written). */
function resized(bytes: Uint8Array, size: number): Uint8Array {
  const next = new Uint8Array(size);
  next.set(bytes.subarray(0, Math.min(size, bytes.byteLength)));
  return next;
}

async function expectSame(set: ObjectSet, io: MemoryBlockIo, model: ReadonlyMap<number, Uint8Array>): Promise<void> {
  expect(await set.ids(io)).to.deep.equal([...model.keys()].sort((a, b) => a - b));
  for (const [id, bytes] of model) {
    expect((await set.stat(io, id)).sizeBytes, `size of object ${id}`).to.equal(bytes.byteLength);
    expect(Buffer.from(await set.read(io, id, 0, bytes.byteLength)).equals(bytes), `bytes of object ${id}`).to.equal(true);
  }
}

describe('zfs object set: objects copied on write', function () {
  // Its models of objects written far out are arrays of up to 80 MB: next to other test files (npm
  // test runs two at a time) a run took over 20 s once, where alone it takes 2 to 5.
  this.timeout(120_000);

  it('agrees with a model through writes, truncations, removals and syncs, reloads from each root, and leaks no block', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 40, size: 'max' }), async (steps) => {
        const io = new MemoryBlockIo();
        let txg = 1;
        let set = ObjectSet.empty(txg);
        const model = new Map<number, Uint8Array>();
        const pick = (n: number) => [...model.keys()][n % model.size]!;
        // Every run ends with a sync, so that its last changes are checked too.
        for (const step of [...steps, { kind: 'sync' } as const]) {
          if (step.kind === 'create') {
            model.set(set.create('file', blockBytes, txg), new Uint8Array(0));
          } else if (step.kind === 'sync') {
            const root = await set.sync(io, txg++);
            const live = new Set(io.live());
            const pointed: number[] = [];
            for await (const pointer of set.pointers(io)) pointed.push(io.idOf(pointer));
            expect(pointed.length, 'a block pointed at twice').to.equal(new Set(pointed).size);
            expect(
              [...live].sort((a, b) => a - b),
              'live blocks = blocks in the tree',
            ).to.deep.equal(pointed.sort((a, b) => a - b));
            set = await ObjectSet.load(io, root);
            await expectSame(set, io, model);
          } else if (model.size > 0) {
            const id = pick(step.pick);
            const bytes = model.get(id)!;
            if (step.kind === 'write') {
              const data = new Uint8Array(step.length).fill(step.byte);
              await set.write(io, id, step.offset, data);
              const next = resized(bytes, Math.max(bytes.byteLength, step.offset + step.length));
              next.set(data, step.offset);
              model.set(id, next);
            } else if (step.kind === 'truncate') {
              await set.truncate(io, id, step.size);
              model.set(id, resized(bytes, step.size));
            } else if (step.kind === 'remove') {
              await set.remove(io, id);
              model.delete(id);
            } else {
              const expected = bytes.subarray(Math.min(step.offset, bytes.byteLength), Math.min(bytes.byteLength, step.offset + step.length));
              expect(Buffer.from(await set.read(io, id, step.offset, step.length)).equals(expected)).to.equal(true);
            }
          }
        }
        await expectSame(set, io, model);
      }),
      { numRuns: 25 },
    );
  });

  it('grows a tree by levels as an object grows, and writes only the blocks above a change', async () => {
    const io = new MemoryBlockIo();
    const set = ObjectSet.empty(1);
    const id = set.create('file', blockBytes, 1);
    const far = pointersPerIndirect * pointersPerIndirect * blockBytes; // block 16 384: a third level
    await set.write(io, id, far, new Uint8Array([7]));
    await set.sync(io, 1);
    expect((await set.stat(io, id)).levels)
      .to.equal(levelsFor(pointersPerIndirect * pointersPerIndirect + 1))
      .and.equal(4);
    // One byte changed far out: its data block, the three indirect blocks above it, object 0's
    // block with the dnode, and the objset block are written; nothing else.
    const before = io.writes;
    await set.write(io, id, far, new Uint8Array([8]));
    await set.sync(io, 2);
    expect(io.writes - before).to.equal(1 + 3 + 1 + 1);
    expect([...(await set.read(io, id, far - 1, 2))]).to.deep.equal([0, 8]);
  });

  it('frees every block of a removed object, reuses its number, and refuses numbers that name nothing', async () => {
    const io = new MemoryBlockIo();
    const set = ObjectSet.empty(1);
    const first = set.create('file', blockBytes, 1);
    await set.write(io, first, 0, new Uint8Array(10 * blockBytes).fill(1));
    const empty = io.live().length;
    await set.sync(io, 1);
    expect(io.live().length).to.be.greaterThan(empty + 10);
    await set.remove(io, first);
    const root = await set.sync(io, 2);
    for await (const pointer of set.pointers(io)) expect(pointer.type).to.not.equal('data');
    expect(set.create('file', blockBytes, 3)).to.equal(first);
    const loaded = await ObjectSet.load(io, root);
    for (const id of [first, 0, 99, -1, 1.5]) {
      const error = await loaded.read(io, id, 0, 1).catch((thrown: unknown) => thrown);
      expect(error, String(id)).to.be.instanceOf(NoSuchObjectError);
    }
    expect(isHole(root)).to.equal(false);
  });
});
