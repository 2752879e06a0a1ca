/**
 * The chunk sizes of the slab classes, as memcached's `slabs_init` computes them: from the smallest
 * chunk, each class's chunk is the one before times the growth factor, rounded up to the alignment,
 * while it stays within the largest chunk over the factor; the last class is the largest chunk
 * itself. Pure: the store keeps the pages and the chunks.
 *
 * @example
 * ```ts
 * const sizes = slabClassSizes();        // [96, 120, 152, 192, 240, ..., 524288]
 * slabClassFor(sizes, 100);              // 1: the class of 120-byte chunks
 * slabClassFor(sizes, 600 << 10);        // -1: chained across chunks of the last class
 * ```
 */
import { assert, invariantBroken } from '../../../ground/assert.js';
import { UsageError } from '../../../ground/errors.js';
import { chunkAlignBytes, chunkBytesMax, chunkBytesMin, chunkGrowthFactor, slabClassesCountMax, slabPageBytes } from './limits-slabs.js';

/** What decides the chunk sizes. */
export interface SlabGeometry {
  /** Bytes of the smallest chunk (rounded up to `alignBytes`). */
  readonly chunkBytesMin: number;
  /** Bytes of the largest chunk: the last class; a multiple of `alignBytes`, at most a page. */
  readonly chunkBytesMax: number;
  /** Each class's chunk over the one before, more than 1. */
  readonly growthFactor: number;
  /** Chunk sizes are multiples of this power of two. */
  readonly alignBytes: number;
}

/** memcached's defaults (limits-slabs.ts). */
export const slabGeometryDefault: SlabGeometry = { chunkBytesMin, chunkBytesMax, growthFactor: chunkGrowthFactor, alignBytes: chunkAlignBytes };

/** The chunk sizes, ascending, strictly: at most `slabClassesCountMax` classes, the last one `chunkBytesMax`. */
export function slabClassSizes(geometry: SlabGeometry = slabGeometryDefault): number[] {
  checkGeometry(geometry);
  const { alignBytes, growthFactor } = geometry;
  const sizes: number[] = [];
  let size = alignUp(geometry.chunkBytesMin, alignBytes);
  // memcached stops one growth short of the largest chunk, so the last class is never a sliver larger than the one before.
  while (sizes.length < slabClassesCountMax - 1 && size <= geometry.chunkBytesMax / growthFactor) {
    sizes.push(size);
    // At least one alignment step: a factor barely above 1 would otherwise round back to the same size.
    size = Math.max(size + alignBytes, alignUp(Math.floor(size * growthFactor), alignBytes));
  }
  sizes.push(geometry.chunkBytesMax);
  for (let i = 1; i < sizes.length; i++) if (!(sizes[i]! > sizes[i - 1]!)) invariantBroken(`chunk sizes grow strictly, got ${sizes[i - 1]} then ${sizes[i]}`);
  assert(sizes.length <= slabClassesCountMax, 'the classes stay within their bound');
  return sizes;
}

/** The index of the smallest class whose chunk holds `bytes`, or -1 when none does (the item is chained). */
export function slabClassFor(sizes: readonly number[], bytes: number): number {
  assert(sizes.length > 0, 'there is at least one class');
  if (bytes > sizes[sizes.length - 1]!) return -1;
  let low = 0;
  let high = sizes.length - 1;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sizes[middle]! >= bytes) high = middle;
    else low = middle + 1;
  }
  if (!(sizes[low]! >= bytes && (low === 0 || sizes[low - 1]! < bytes))) invariantBroken(`class ${low} is the smallest that holds ${bytes} bytes`);
  return low;
}

/** Chunks of `chunkBytes` one slab page holds (the rest of the page is left over, as in memcached). */
export function chunksPerPage(chunkBytes: number): number {
  assert(chunkBytes > 0 && chunkBytes <= slabPageBytes, 'a chunk fits in a page');
  return Math.floor(slabPageBytes / chunkBytes);
}

function checkGeometry({ chunkBytesMin: min, chunkBytesMax: max, growthFactor, alignBytes }: SlabGeometry): void {
  if (!(Number.isInteger(alignBytes) && alignBytes > 0 && (alignBytes & (alignBytes - 1)) === 0))
    throw new UsageError(`the chunk alignment is a power of two, got ${alignBytes}`);
  if (!(Number.isInteger(min) && min > 0 && Number.isInteger(max) && max % alignBytes === 0 && alignUp(min, alignBytes) <= max && max <= slabPageBytes))
    throw new UsageError(`chunks run from ${min} to ${max} bytes: positive integers, the largest aligned and at most a ${slabPageBytes}-byte page`);
  if (!(Number.isFinite(growthFactor) && growthFactor > 1)) throw new UsageError(`chunks grow by a factor above 1, got ${growthFactor}`);
}

function alignUp(bytes: number, alignBytes: number): number {
  return Math.ceil(bytes / alignBytes) * alignBytes;
}
