/**
 * The shared store's header globals as a new store writes them and as `open` checks them: the
 * figures a handle also carries (pages, buckets, classes, limits, the slab region's address), then
 * the layout version, and the magic word last, so that a header half written never passes for a
 * store. A handle whose header is missing or disagrees gets StoreHandleError.
 *
 * @example
 * ```ts
 * writeStoreHeader(memory, layout, slabs);          // on the CPU that makes the store
 * checkStoreHeader(memory, layout, classesCount);   // on any CPU that opens it
 * ```
 */
import type { MemoryAccess } from '../../../actors/vm/memory-access.js';
import type { SlabAllocator } from './slab-allocator.js';
import { StoreHandleError } from './store-handle-error.js';
import { type StoreLayout, storeLayoutVersion, storeMagic } from './store-layout.js';

/** Writes a fresh header and formats the pages and classes. */
export function writeStoreHeader(memory: MemoryAccess, layout: StoreLayout, slabs: SlabAllocator): void {
  const { handle } = layout;
  memory.writeU32(layout.globalAt('pagesCount'), handle.pagesCount);
  memory.writeU32(layout.globalAt('bucketsCount'), handle.bucketsCount);
  memory.writeU32(layout.globalAt('classesCount'), slabs.chunkSizes.length);
  memory.writeU32(layout.globalAt('itemBytesMax'), handle.itemBytesMax);
  memory.writeF64(layout.globalAt('limitBytes'), handle.limitBytes);
  memory.writeF64(layout.globalAt('slabAddress'), handle.slabAddress);
  slabs.format();
  memory.writeU32(layout.globalAt('version'), storeLayoutVersion);
  memory.storeI32(layout.globalAt('magic'), storeMagic);
}

/** Throws StoreHandleError unless the header at the handle's address is a store's of this layout and agrees with the handle. */
export function checkStoreHeader(memory: MemoryAccess, layout: StoreLayout, classesCount: number): void {
  const { handle } = layout;
  const fields: readonly [string, () => number, number][] = [
    ['magic', () => memory.loadI32(layout.globalAt('magic')), storeMagic],
    ['layout version', () => memory.readU32(layout.globalAt('version')), storeLayoutVersion],
    ['pages', () => memory.readU32(layout.globalAt('pagesCount')), handle.pagesCount],
    ['buckets', () => memory.readU32(layout.globalAt('bucketsCount')), handle.bucketsCount],
    ['classes', () => memory.readU32(layout.globalAt('classesCount')), classesCount],
    ['itemBytesMax', () => memory.readU32(layout.globalAt('itemBytesMax')), handle.itemBytesMax],
    ['limitBytes', () => memory.readF64(layout.globalAt('limitBytes')), handle.limitBytes],
    ['slab address', () => memory.readF64(layout.globalAt('slabAddress')), handle.slabAddress],
  ];
  for (const [name, read, expected] of fields) {
    let found: number;
    try {
      found = read();
    } catch (error) {
      throw new StoreHandleError(`no shared item store's header at 0x${handle.headerAddress.toString(16)}`, { cause: error });
    }
    if (found !== expected) {
      throw new StoreHandleError(
        `the handle does not name the store at 0x${handle.headerAddress.toString(16)}: its ${name} is ${found}, the handle's ${expected}`,
      );
    }
  }
}
