/**
 * Bounds of the shared item store, units last, checked against each other when the module loads.
 * The slab allocator's own bounds (page and chunk sizes, retries) are in ../limits-slabs.ts.
 */
import { assert } from '../../../ground/assert.js';
import { isPowerOfTwo } from '../../../actors/ring/layout.js';
import { pageBytes } from '../../../actors/vm/limits.js';
import { chunkAlignBytes, chunkBytesMax, chunkBytesMin, slabPageBytes } from './limits-slabs.js';

/** 4 KiB frames in a slab page: the bits of a page's touched bitmap. */
export const framesPerSlabPage = slabPageBytes / pageBytes;
/**
 * The largest cap, in bytes: chunk references are 32-bit offsets over the chunk alignment, so the
 * slab region stays under 2^32 alignment units (32 GiB); half that leaves room to spare.
 */
export const storeLimitBytesMax = 16 * 2 ** 30;
/** Hash buckets at least and at most (a power of two each): 4 MiB of buckets at most. */
export const bucketsCountMin = 1 << 8;
export const bucketsCountMax = 1 << 20;
/**
 * Items per bucket the table is sized for when every item is of the smallest chunk: buckets are the
 * cap over `chunkBytesMin * itemsPerBucketTarget`, rounded up to a power of two (memcached grows its
 * table at 1.5 items a bucket; items are mostly larger than the smallest chunk, so 4 is a fair cap).
 */
export const itemsPerBucketTarget = 4;

assert(framesPerSlabPage % 8 === 0, 'the touched bitmap is whole bytes');
assert(storeLimitBytesMax / chunkAlignBytes < 2 ** 32 - 1, 'every chunk reference fits in 32 bits, 0 left for none');
assert(slabPageBytes === 2 * chunkBytesMax, 'a page holds two chunks of the largest class: the chain table has two entries a page');
assert(isPowerOfTwo(bucketsCountMin) && isPowerOfTwo(bucketsCountMax) && bucketsCountMin <= bucketsCountMax, 'the bucket bounds are powers of two, in order');
assert(itemsPerBucketTarget >= 1 && chunkBytesMin * itemsPerBucketTarget <= slabPageBytes, 'a one-page store gets at least one bucket per target');
