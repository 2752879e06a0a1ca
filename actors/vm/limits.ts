/**
 * Bounds of the virtual memory subsystem, units last, checked against each other when the module
 * loads. The page geometry is x86-64's, as OSv uses it: 4 KiB pages, 4 levels of 512 entries,
 * 48-bit virtual addresses, 2 MiB pages at level 1 and 1 GiB pages at level 2.
 */
import { assert } from '../../ground/assert.js';

/** Bytes of a base page and of a physical frame. */
export const pageBytes = 4_096;
/** Entries of a page table: one frame of 8-byte entries. */
export const tableEntriesCount = 512;
/** Bytes of one page-table entry (x86-64's width; see page-entry.ts for the two words). */
export const entryBytes = 8;
/** Levels of page tables: 3 (the root) down to 0 (4 KiB pages). */
export const tableLevelsCount = 4;
/** Bits of a virtual address. */
export const virtualAddressBits = 48;
/** Bytes one entry of each level maps: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
export const levelSpanBytes: readonly number[] = [pageBytes, pageBytes * 512, pageBytes * 512 ** 2, pageBytes * 512 ** 3];
/** Bytes of a huge page (level 1). */
export const hugePageBytes = levelSpanBytes[1]!;
/** Bytes of a giant page (level 2): OSv leaves these unused ("FIXME: detect 1GB pages"); Osprey uses them. */
export const gigaPageBytes = levelSpanBytes[2]!;
/**
 * Most physical memory, in bytes: one Uint8Array views it all, and Node 20 refuses typed arrays past
 * 2^32 elements. A SharedArrayBuffer is committed lazily, so a large one costs only what is touched.
 */
export const physicalBytesMax = 2 ** 32;
/** Least physical memory, in bytes: one huge page. */
export const physicalBytesMin = 2 << 20;
/** Physical memory of a VM that does not say, in bytes (memcached's default cache is 64 MiB too). */
export const physicalBytesDefault = 64 << 20;
/**
 * Mappings of at least this many bytes keep whole 2 MiB blocks to themselves (no other mapping is
 * placed in the rest of their last block), so that moving one moves whole page tables: one entry per
 * 2 MiB instead of one per 4 KiB page. Below it, mappings pack densely. Only addresses are spent.
 */
export const blockHoldingBytesMin = 1 << 20;
/** Orders of the buddy allocator: blocks of 2^0 to 2^18 frames (4 KiB to 1 GiB). */
export const frameOrdersCount = 19;
/** Frames a CPU keeps in its own cache, at most: the fault path takes from it without the lock. */
export const frameCacheFramesMax = 64;
/** Frames a CPU moves between its cache and the shared allocator at a time. */
export const frameCacheBatchFrames = 32;
/** Entries of a CPU's software TLB (direct-mapped, a power of two). */
export const tlbEntriesCount = 256;
/** The share of frames that must stay free before the VM asks its shrinkers for memory (OSv's watermark_lo). */
export const watermarkLowShare = 0.1;
/** How long a waiting allocation waits for shrinkers to free memory before it fails, in ms. */
export const allocationWaitMsDefault = 1_000;
/**
 * Regions the address space holds at once (Linux's vm.max_map_count is 65 530): mappings, their
 * guard pages, and the pieces protect and unmap cut them into.
 */
export const regionsCountMax = 65_536;
/** Shrinkers one VM asks, at most. */
export const shrinkersCountMax = 256;

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

/**
 * Tries a VM lock's acquirer makes before it gives up on the holder (vm-lock.ts): about a second
 * here, where a section lasts microseconds. Counted, not timed: kernel code takes no time from
 * outside the clock driver, and a spin never yields to it.
 */
export const vmLockSpinsMax = 1 << 24;

assert(entryBytes * tableEntriesCount === pageBytes, 'a page table fills exactly one frame');
assert(
  Math.log2(pageBytes) + Math.log2(tableEntriesCount) * tableLevelsCount === virtualAddressBits,
  'the levels of 512 entries over 4 KiB pages cover the 48-bit address space',
);
assert(levelSpanBytes.length === tableLevelsCount, 'one span per level');
assert(2 ** (frameOrdersCount - 1) * pageBytes === gigaPageBytes, 'the largest buddy block is a giant page');
assert(isPowerOfTwo(physicalBytesMax) && physicalBytesMin % hugePageBytes === 0, 'physical memory comes in whole huge pages');
assert(physicalBytesDefault >= physicalBytesMin && physicalBytesDefault <= physicalBytesMax, 'the default physical memory lies within its bounds');
// Frame numbers live in the low word of an entry above its 8 flag bits (page-entry.ts).
assert(physicalBytesMax / pageBytes <= 2 ** 23, 'every frame number fits in the 23 bits an entry gives it');
assert(frameCacheBatchFrames * 2 <= frameCacheFramesMax, 'a cache holds two batches, so a refill and a drain never chase each other');
assert(isPowerOfTwo(tlbEntriesCount), 'the TLB indexes with a mask');
assert(watermarkLowShare > 0 && watermarkLowShare < 1, 'the low watermark is a share of memory');
assert(
  blockHoldingBytesMin % pageBytes === 0 && blockHoldingBytesMin <= hugePageBytes,
  'mappings that hold blocks are whole pages, at most one block long at least',
);
