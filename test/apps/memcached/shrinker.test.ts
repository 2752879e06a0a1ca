/**
 * The shared item store as a shrinker: another actor's mappings push free memory below the watermark,
 * the reclaimer asks the store's shrinker, and the store gives whole pages back (their frames return
 * to the VM), evicting the least recently used, and keeps serving.
 */
import { expect } from 'chai';
import { type Ask, fromReceive, type Kernel } from '../../../boot/index.js';
import { VmArgumentError } from '../../../actors/vm/errors.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';
import type { VirtualMemory } from '../../../actors/vm/virtual-memory.js';
import { registerItemStoreShrinker } from '../../../apps/memcached/store/shrinker.js';
import { SharedItemStore } from '../../../apps/memcached/store/shared-item-store.js';
import { shutdown } from '../../helpers/kernel.js';
import { bootVm, patterned, sameBytes } from './shared-item-store-fixtures.js';

type HogMsg = Ask<{ readonly type: 'map'; readonly bytes: number }, number>;

/** Another program's memory: maps and populates what it is asked for, waiting for the shrinkers if need be. */
const Hog = fromReceive<HogMsg>(async (message, ctx) => {
  const handle = ctx.replyLater(message);
  handle.resolve(await ctx.subsystem(virtualMemory).mmap(message.bytes, { populate: true }));
}, 'Hog');

const valueBytes = 32 << 10;
const itemsCount = 1_280; // 40 MiB of values

/** The share of the items that still read back whole. */
function hitRatio(store: SharedItemStore, nowMs: number): number {
  let hits = 0;
  for (let i = 0; i < itemsCount; i++) {
    const item = store.get(`item:${i}`, nowMs);
    if (item === undefined) continue;
    expect(sameBytes(store.read(item), patterned(valueBytes, i))).to.equal(true);
    hits++;
  }
  return hits / itemsCount;
}

describe('memcached: the shared item store as a shrinker', () => {
  let kernel: Kernel;
  afterEach(() => shutdown(kernel));

  it('gives least recently used pages back under another actor’s memory pressure, and keeps serving', async () => {
    kernel = await bootVm(64 << 20);
    const vm = kernel.subsystem(virtualMemory);
    const store = await kernel.runUntil(SharedItemStore.create(vm, { limitBytes: 48 << 20 }));
    const shrinker = await kernel.runUntil(registerItemStoreShrinker(vm, store, (behavior) => kernel.spawn(behavior)));
    for (let i = 0; i < itemsCount; i++) expect(store.store(`item:${i}`, 0, 0, patterned(valueBytes, i), i)).to.not.be.a('string');
    await kernel.runUntilIdle();
    expect(hitRatio(store, 10_000)).to.equal(1);
    const storeBytesBefore = store.slabStats().touchedBytes;
    const usedBefore = vm.stats().physicalBytes - vm.stats().freeBytes;
    expect(storeBytesBefore).to.be.at.least(40 << 20);
    // The newest half is read again: the shrinker should take the oldest pages.
    for (let i = itemsCount / 2; i < itemsCount; i++) store.get(`item:${i}`, 20_000);

    // 20 MiB elsewhere leaves less than the 10 % watermark free: the reclaimer asks the store.
    const hog = kernel.spawn(Hog);
    const hogBytes = 20 << 20;
    await kernel.runUntil(hog.ask({ type: 'map', bytes: hogBytes }));
    await kernel.runUntilIdle();
    const vmStats = vm.stats();
    const returned = vmStats.pressure!.shrinkers.find((entry) => entry.name === 'memcached')!;
    const slabs = store.slabStats();
    expect(returned.bytesReturned).to.be.above(0);
    expect(slabs.pagesReturned).to.be.above(0);
    expect(slabs.bytesReturned).to.equal(returned.bytesReturned);
    expect(vmStats.freeBytes).to.be.at.least(vmStats.physicalBytes / 10);
    // What the store holds in the VM went down by what it gave back; all else used is the hog's.
    expect(slabs.touchedBytes).to.equal(storeBytesBefore - slabs.bytesReturned);
    expect(vmStats.physicalBytes - vmStats.freeBytes - hogBytes).to.be.below(usedBefore - slabs.bytesReturned / 2);
    expect(store.stats().evictions).to.be.above(0);
    // The hit ratio drops, gracefully: the recently read half is still there.
    const ratio = hitRatio(store, 30_000);
    expect(ratio).to.be.below(1).and.at.least(0.5);
    for (let i = itemsCount / 2; i < itemsCount; i++) expect(store.peek(`item:${i}`, 30_000), `item:${i}`).to.not.equal(undefined);

    // More than is free: the hog's mapping waits until the store has given enough back.
    await kernel.runUntil(hog.ask({ type: 'map', bytes: 16 << 20 }));
    await kernel.runUntilIdle();
    expect(store.slabStats().pagesReturned).to.be.above(slabs.pagesReturned);
    expect(hitRatio(store, 40_000)).to.be.below(ratio);
    // And it still stores and serves.
    const fresh = store.store('fresh', 0, 0, patterned(1000, 7), 50_000);
    if (typeof fresh === 'string') throw new Error(`refused: ${fresh}`);
    expect(sameBytes(store.read(fresh), patterned(1000, 7))).to.equal(true);
    expect(store.slabStats().pagesLost).to.equal(0);
    await kernel.runUntil(vm.unregisterShrinker(shrinker));
    store.check();
    await kernel.runUntil(store.close());
  });

  it('gives back pages holding no item first, on a soft request, without evicting', async () => {
    kernel = await bootVm(32 << 20);
    const vm = kernel.subsystem(virtualMemory);
    const store = await kernel.runUntil(SharedItemStore.create(vm, { limitBytes: 16 << 20 }));
    for (let i = 0; i < 64; i++) store.store(`item:${i}`, 0, 0, patterned(valueBytes, i), i);
    store.flushAll(100, 100);
    store.store('kept', 0, 0, patterned(valueBytes, 1), 200);
    const held = store.slabStats().touchedBytes;
    const freeBefore = vm.stats().freeBytes;
    const freed = await kernel.runUntil(store.shrink(64 << 20, false));
    await kernel.runUntilIdle();
    // The page with 'kept' stays; the emptied ones go back whole.
    expect(freed).to.be.above(0).and.below(held);
    expect(store.stats().evictions).to.equal(0);
    expect(store.get('kept', 300)?.valueBytes).to.equal(valueBytes);
    expect(vm.stats().freeBytes - freeBefore).to.be.at.least(freed);
    expect(store.slabStats()).to.include({ pagesCount: 16, pagesReturning: 0, touchedBytes: held - freed });
    // A hard request takes the last page too.
    expect(await kernel.runUntil(store.shrink(64 << 20, true))).to.equal(held - freed);
    expect(store.stats().items).to.equal(0);
    store.check();
    await kernel.runUntil(store.close());
  });

  it('loses a page given back when its address was taken meanwhile, and works on with fewer', async () => {
    kernel = await bootVm(32 << 20);
    const vm = kernel.subsystem(virtualMemory);
    // A VM whose fixed mappings fail, as when another actor's mapping took the address between unmap and map.
    const crowded = Object.create(vm) as VirtualMemory;
    crowded.mmap = (length, options = {}) => {
      if (options.at !== undefined) return Promise.reject(new VmArgumentError('a mapping is in the way'));
      return vm.mmap(length, options);
    };
    const mappingsBefore = vm.stats().mappings;
    const store = await kernel.runUntil(SharedItemStore.create(crowded, { limitBytes: 4 << 20 }));
    for (let i = 0; i < 100; i++) store.store(`item:${i}`, 0, 0, patterned(valueBytes, i), i);
    expect(await kernel.runUntil(store.shrink(1, true))).to.be.above(0);
    // Chunks are named by their offset in the slab region: a page cannot move, so it is lost.
    expect(store.slabStats()).to.include({ pagesReturned: 1, pagesLost: 1, pagesCount: 3, pagesReturning: 0 });
    store.check();
    for (let i = 100; i < 200; i++) expect(store.store(`item:${i}`, 0, 0, patterned(valueBytes, i), i)).to.not.be.a('string');
    expect(hitRatioOf(store, 100, 200, 1_000)).to.be.above(0.5);
    store.check();
    await kernel.runUntil(store.close());
    expect(vm.stats().mappings).to.equal(mappingsBefore);
  });
});

/** The share of `item:first` .. `item:end - 1` that read back whole. */
function hitRatioOf(store: SharedItemStore, first: number, end: number, nowMs: number): number {
  let hits = 0;
  for (let i = first; i < end; i++) {
    const item = store.get(`item:${i}`, nowMs);
    if (item === undefined) continue;
    expect(sameBytes(store.read(item), patterned(valueBytes, i))).to.equal(true);
    hits++;
  }
  return hits / (end - first);
}
