/**
 * Bounds of the shared item store's slab allocator (memcached's slabs.c), units last, checked against
 * each other when the module loads. memcached's defaults: 1 MiB slab pages, a smallest chunk of
 * 96 bytes with its header, chunks growing by a factor of 1.25 (`-f 1.25`), chunks at most half a
 * page (`slab_chunk_max`), and bigger items chained across chunks of the largest class.
 */
import { assert } from '../../../ground/assert.js';
import { isPowerOfTwo } from '../../../actors/ring/layout.js';
import { pageBytes } from '../../../actors/vm/limits.js';
import { itemBytesMaxDefault, itemOverheadBytes } from './item-store.js';

/** Bytes of a slab page: what a class takes at a time, and what the shrinker gives back at a time. */
export const slabPageBytes = 1 << 20;
/** Bytes of the smallest chunk, header included (memcached's 48-byte item header and a small key and value). */
export const chunkBytesMin = 96;
/** How much larger each class's chunk is than the one before (memcached's `-f`). */
export const chunkGrowthFactor = 1.25;
/** Chunk sizes are multiples of this, so the header's 32-bit fields sit at their natural alignment. */
export const chunkAlignBytes = 8;
/** Bytes of the largest chunk (memcached's `slab_chunk_max`, half a page): larger items are chained across several. */
export const chunkBytesMax = slabPageBytes / 2;
/**
 * Bytes at the start of each item's first chunk that belong to its header: the contract's per-item
 * overhead, so that a chunk holds exactly what `stats().bytes` counts for its item. The shared
 * store keeps every field of an item there (item-header.ts lays them out).
 */
export const itemHeaderBytes = itemOverheadBytes;
/** Slab classes at most (memcached's MAX_NUMBER_OF_SLAB_CLASSES is 64). */
export const slabClassesCountMax = 64;
/** Largest item the store accepts as `itemBytesMax`, in bytes (memcached's `-I` stops at 1 GiB; 64 MiB here). */
export const itemBytesMaxLimit = 64 << 20;
/**
 * How many times a store retries a write that ran out of physical memory, each time evicting the
 * class's least recently used item first so that its chunk, whose frames are backed, is reused.
 */
export const writeRetriesCountMax = 8;
/** Pages a class looks at, from the least recently used end, for one of another class it could take instead of evicting its own item. */
export const rebalanceScanPagesMax = 16;

assert(isPowerOfTwo(slabPageBytes) && slabPageBytes % pageBytes === 0, 'a slab page is whole VM pages, and pages sit at aligned addresses');
assert(slabPageBytes % chunkBytesMax === 0, 'the largest chunks tile a page exactly');
assert(chunkBytesMin % chunkAlignBytes === 0 && chunkBytesMax % chunkAlignBytes === 0, 'the smallest and the largest chunk are aligned');
assert(chunkGrowthFactor > 1, 'chunks grow from class to class');
assert(itemHeaderBytes % 8 === 0, 'the header ends on a float64 boundary, where the key starts');
assert(chunkBytesMin > itemHeaderBytes, 'the smallest chunk holds a header and a key');
assert(itemBytesMaxDefault <= itemBytesMaxLimit, 'the default largest item is allowed');
assert(writeRetriesCountMax > 0 && rebalanceScanPagesMax > 0, 'every bound allows some work');
