import { expect } from 'chai';
import fc from 'fast-check';
import type { Kernel } from '../../../boot/index.js';
import { UsageError } from '../../../ground/errors.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import type { Item } from '../../../apps/memcached/store/item-store.js';
import { ItemNotLiveError } from '../../../apps/memcached/store/item-not-live-error.js';
import { chunkBytesMax, itemHeaderBytes, slabPageBytes } from '../../../apps/memcached/store/limits-slabs.js';
import { slabClassFor, slabClassSizes } from '../../../apps/memcached/store/slab-classes.js';
import { SharedItemStore } from '../../../apps/memcached/store/shared-item-store.js';
import { StoreHandleError } from '../../../apps/memcached/store/store-handle-error.js';
import type { SharedItemStoreHandle } from '../../../apps/memcached/store/store-layout.js';
import { shutdown } from '../../helpers/kernel.js';
import { bootVm, patterned, sameBytes } from './shared-item-store-fixtures.js';

const asItem = (result: Item | string): Item => {
  if (typeof result === 'string') throw new Error(`the store refused: ${result}`);
  return result;
};

describe('memcached: the shared item store', () => {
  let kernel: Kernel;
  afterEach(() => shutdown(kernel));

  it('keeps values in VM memory, with memcached semantics for expiry, touch, delete and flush', async () => {
    kernel = await bootVm(64 << 20);
    const vm = kernel.subsystem(virtualMemory);
    const freeBefore = vm.stats().freeBytes;
    const store = await kernel.runUntil(SharedItemStore.create(vm, { limitBytes: 16 << 20 }));
    // Reserving the cap costs no frames but the header region's (populated) and the tables' own.
    expect(freeBefore - vm.stats().freeBytes).to.be.below(store.handle.headerBytes + (64 << 10));
    const first = asItem(store.store('a', 7, 0, patterned(5, 1), 100));
    expect(first).to.include({ key: 'a', flags: 7, exptimeMs: 0, valueBytes: 5, lastAccessMs: 100 });
    expect(sameBytes(store.read(first), patterned(5, 1))).to.equal(true);
    const second = asItem(store.store('a', 8, 200, patterned(9, 2), 110));
    expect(second.cas).to.be.above(first.cas);
    expect(() => store.read(first)).to.throw(ItemNotLiveError);
    expect(store.peek('a', 150)).to.deep.equal(second);
    expect(store.get('a', 200)).to.equal(undefined);
    expect(store.stats()).to.include({ items: 0, itemsStored: 2, expired: 1, bytes: 0 });

    const b = asItem(store.store('b', 0, 300, patterned(3, 3), 250));
    const touched = store.touch(b, 0, 260);
    expect(touched).to.include({ exptimeMs: 0, cas: b.cas, lastAccessMs: 260 });
    expect(store.get('b', 10_000)?.valueBytes).to.equal(3);
    expect(store.delete('b', 10_001)).to.equal(true);
    expect(store.delete('b', 10_002)).to.equal(false);

    // A delayed flush takes the items stored up to its time, even those stored after it was asked for,
    // removed (and counted as expired) as they are met.
    store.store('c', 0, 0, patterned(4, 4), 20_000);
    store.flushAll(20_100, 20_000);
    store.store('d', 0, 0, patterned(4, 5), 20_050);
    expect(store.peek('d', 20_099)).to.not.equal(undefined);
    expect(store.peek('d', 20_100)).to.equal(undefined);
    store.store('e', 0, 0, patterned(4, 6), 20_200);
    expect(store.get('c', 20_200)).to.equal(undefined);
    expect(store.get('e', 20_200)?.valueBytes).to.equal(4);
    expect(store.stats()).to.include({ items: 1, bytes: itemHeaderBytes + 1 + 4, limitBytes: 16 << 20, expired: 3 });
    // An immediate flush forgets everything at once, and cancels a delayed one.
    store.flushAll(30_000, 20_300);
    store.flushAll(20_300, 20_300);
    store.store('g', 0, 0, patterned(4, 7), 20_300);
    expect(store.get('g', 40_000)?.valueBytes).to.equal(4);
    expect(store.stats()).to.include({ items: 1, expired: 3 });
    // The value's bytes are in the VM: the store wrote frames of its first page, and only a few.
    expect(store.slabStats().touchedBytes).to.be.within(4096, 64 << 10);
    store.check();
    await kernel.runUntil(store.close());
    expect(() => store.store('f', 0, 0, patterned(1, 1), 20_300)).to.throw(UsageError);
  });

  it('round-trips values of every size up to the largest item, byte for byte', async () => {
    kernel = await bootVm(64 << 20);
    const store = await kernel.runUntil(SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 8 << 20 }));
    const key = 'round-trip';
    const valueBytesMax = store.itemBytesMax - key.length;
    const sizes = new Set<number>();
    for (let size = 0; size <= 2048; size++) sizes.add(size);
    // Each class's chunk exactly full, one byte short and one byte over; chained items likewise.
    for (const chunkBytes of [...slabClassSizes(), 2 * chunkBytesMax, 3 * chunkBytesMax]) {
      for (const delta of [-1, 0, 1]) sizes.add(chunkBytes - itemHeaderBytes - key.length + delta);
    }
    sizes.add(valueBytesMax);
    let nowMs = 0;
    const roundTrip = (size: number): void => {
      if (size < 0 || size > valueBytesMax) return;
      const value = patterned(size, size);
      const item = asItem(store.store(key, size, 0, value, ++nowMs));
      expect(sameBytes(store.read(item), value), `a value of ${size} bytes`).to.equal(true);
    };
    for (const size of sizes) roundTrip(size);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valueBytesMax }), (size) => roundTrip(size)),
      { numRuns: 40 },
    );
    expect(store.store(key, 0, 0, new Uint8Array(valueBytesMax + 1), ++nowMs)).to.equal('too-large');
    expect(store.stats().evictions).to.equal(0);
    store.check();
    await kernel.runUntil(store.close());

    // With a larger `-I`, a whole 1 MiB value and its key fit: chained across three chunks.
    const large = await kernel.runUntil(SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 8 << 20, itemBytesMax: 2 << 20 }));
    const value = patterned(1 << 20, 9);
    const item = asItem(large.store(key, 0, 0, value, 1));
    expect(sameBytes(large.read(item), value)).to.equal(true);
    expect(large.slabStats().classes).to.deep.equal([{ chunkBytes: chunkBytesMax, pages: 2, items: 1, freeChunks: 0 }]);
    large.check();
    await kernel.runUntil(large.close());
  });

  it('is the same store from a handle of plain numbers, and refuses a handle that names none', async () => {
    kernel = await bootVm(32 << 20);
    const vm = kernel.subsystem(virtualMemory);
    const store = await kernel.runUntil(SharedItemStore.create(vm, { limitBytes: 4 << 20 }));
    const handle = JSON.parse(JSON.stringify(store.handle)) as SharedItemStoreHandle;
    const other = SharedItemStore.open(vm, handle);
    const stored = asItem(store.store('k', 3, 0, patterned(40, 1), 10));
    const seen = other.get('k', 11);
    expect(seen).to.include({ key: 'k', flags: 3, cas: stored.cas, valueBytes: 40, lastAccessMs: 11 });
    expect(sameBytes(other.read(seen!), patterned(40, 1))).to.equal(true);
    // Replaced through one, the item the other saw is no longer live; its figures are the whole store's.
    asItem(other.store('k', 4, 0, patterned(41, 2), 12));
    expect(() => store.read(stored)).to.throw(ItemNotLiveError);
    expect(() => store.touch(seen!, 0, 13)).to.throw(ItemNotLiveError);
    expect(() => store.read({ ...stored })).to.throw(ItemNotLiveError);
    expect(store.stats()).to.deep.equal(other.stats());
    for (const wrong of [
      { ...handle, pagesCount: handle.pagesCount + 1 },
      { ...handle, headerAddress: handle.slabAddress },
      { ...handle, headerAddress: handle.headerAddress + (1 << 30) },
    ]) {
      expect(() => SharedItemStore.open(vm, wrong), JSON.stringify(wrong)).to.throw(StoreHandleError);
    }
    store.check();
    await kernel.runUntil(store.close());
  });

  it('counts the pages whose return the VM refused, and keeps them in use', async () => {
    kernel = await bootVm(64 << 20);
    const vm = kernel.subsystem(virtualMemory);
    // A VM that refuses every unmap, as one would a range another mapping now holds.
    const refusing = new Proxy(vm, {
      get: (target, name) => (name === 'munmap' ? () => Promise.reject(new Error('unmap refused')) : Reflect.get(target, name, target)),
    });
    const store = await kernel.runUntil(SharedItemStore.create(refusing, { limitBytes: 4 << 20 }));
    for (let i = 0; i < 64; i++) asItem(store.store(`k${i}`, 0, 0, patterned(4_000, i), 1));
    expect(await kernel.runUntil(store.shrink(4 << 20, true))).to.equal(0);
    const figures = store.slabStats();
    expect(figures.pagesReturnFailed).to.be.greaterThan(0);
    expect(figures.pagesReturned).to.equal(0);
    expect(figures.pagesReturning).to.equal(0);
    // The pages went back to the pool with their frames: the store stores on.
    asItem(store.store('after', 0, 0, patterned(4_000, 99), 2));
    store.check();
  });

  it('refuses options it cannot keep', async () => {
    kernel = await bootVm(16 << 20);
    const vm = kernel.subsystem(virtualMemory);
    for (const options of [{ limitBytes: 1000 }, { limitBytes: slabPageBytes, itemBytesMax: 0 }, { limitBytes: slabPageBytes, itemBytesMax: 2 << 20 }]) {
      let error: unknown;
      await kernel.runUntil(SharedItemStore.create(vm, options)).catch((thrown: unknown) => (error = thrown));
      expect(error, JSON.stringify(options)).to.be.instanceOf(UsageError);
    }
  });

  it('at its cap, evicts the least recently used and moves pages between classes', async () => {
    kernel = await bootVm(32 << 20);
    const store = await kernel.runUntil(SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 2 << 20 }));
    // Two pages of 100 KiB items, then more: the oldest go, one for each item past what two pages hold.
    const value = patterned(100 << 10, 1);
    const sizes = slabClassSizes();
    const perPage = Math.floor(slabPageBytes / sizes[slabClassFor(sizes, itemHeaderBytes + 'big:00'.length + value.length)]!);
    for (let i = 0; i < 30; i++) asItem(store.store(`big:${i}`, 0, 0, value, i));
    expect(store.stats().evictions).to.equal(30 - 2 * perPage);
    expect(store.get('big:0', 100)).to.equal(undefined);
    expect(store.get('big:29', 100)?.valueBytes).to.equal(100 << 10);
    // Small items need a page of their own class: the least recently used page of the big items' class moves.
    for (let i = 0; i < 100; i++) asItem(store.store(`small:${i}`, 0, 0, patterned(10, i), 200 + i));
    expect(store.slabStats().pagesRebalanced).to.equal(1);
    expect(store.get('big:29', 400)?.valueBytes).to.equal(100 << 10);
    expect(store.get('small:0', 400)?.valueBytes).to.equal(10);
    expect(store.slabStats().pagesCount).to.equal(2);
    store.check();
    await kernel.runUntil(store.close());
  });

  it('evicts the least recently used item of a class: a read keeps an item', async () => {
    kernel = await bootVm(32 << 20);
    const store = await kernel.runUntil(SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 2 << 20 }));
    // 350 kB items take the class of two chunks a page: four fit under the cap.
    const value = patterned(350_000, 3);
    for (let i = 0; i < 4; i++) asItem(store.store(`item:${i}`, 0, 0, value, i));
    expect(store.get('item:0', 10)).to.not.equal(undefined);
    asItem(store.store('item:4', 0, 0, value, 11));
    expect(store.peek('item:1', 12), 'the least recently used goes').to.equal(undefined);
    expect(store.peek('item:0', 12), 'a read item stays').to.not.equal(undefined);
    store.touch(asItem(store.get('item:2', 13) ?? 'missing'), 0, 13);
    asItem(store.store('item:5', 0, 0, value, 14));
    expect(['item:0', 'item:2', 'item:3', 'item:4', 'item:5'].filter((key) => store.peek(key, 15) !== undefined)).to.deep.equal([
      'item:0',
      'item:2',
      'item:4',
      'item:5',
    ]);
    expect(store.stats().evictions).to.equal(2);
    store.check();
    await kernel.runUntil(store.close());
  });

  it('never throws when physical memory runs out under it: it evicts and reuses backed chunks, or answers out-of-memory', async () => {
    // A cap of 32 MiB on 8 MiB of physical memory, and no shrinker: writes fault for lack of frames.
    kernel = await bootVm(8 << 20);
    const vm = kernel.subsystem(virtualMemory);
    const store = await kernel.runUntil(SharedItemStore.create(vm, { limitBytes: 32 << 20 }));
    const outcomes = { stored: 0, refused: 0 };
    for (let i = 0; i < 600; i++) {
      const value = patterned(60 << 10, i);
      const item = store.store(`key:${i}`, 0, 0, value, i);
      if (typeof item === 'string') {
        expect(item).to.equal('out-of-memory');
        outcomes.refused++;
        continue;
      }
      outcomes.stored++;
      expect(sameBytes(store.read(item), value)).to.equal(true);
    }
    const slabs = store.slabStats();
    expect(slabs.writesOutOfMemory).to.be.above(0);
    expect(store.stats().evictions).to.be.above(0);
    expect(outcomes.stored).to.be.above(500);
    expect(slabs.touchedBytes).to.be.below(8 << 20);
    // What the store holds still reads back whole.
    let live = 0;
    for (let i = 0; i < 600; i++) {
      const item = store.get(`key:${i}`, 1_000);
      if (item === undefined) continue;
      live++;
      expect(sameBytes(store.read(item), patterned(60 << 10, i))).to.equal(true);
    }
    expect(live).to.equal(store.stats().items);
    store.check();
    await kernel.runUntil(store.close());
  });
});
