/**
 * Where the shared item store keeps its state in virtual memory, so that every CPU finds it from a
 * handle of plain numbers. Two mappings: the **header region** (populated when the store is made,
 * so no structural update ever waits for a frame or meets out of memory half done) and the **slab
 * region** (the cap's 1 MiB pages, backed only where written). The header region holds, in order:
 *
 * - the globals: a magic word and a version (a handle to anything else is refused), the store's
 *   lock word, the counters `stats()` and `slabStats()` report, the next cas, the delayed flush;
 * - one entry per slab class: its chunk size, its free-chunk list, its item LRU and its page count;
 * - one entry per page: its state and class, its carved and used chunks, its LRU links and last use,
 *   and a bitmap of the 4 KiB frames written since it was mapped;
 * - the chain table: per chunk of the largest class (two a page), the next chunk of a chained item
 *   and the item's first chunk;
 * - the hash buckets.
 *
 * Chunks are named by a 32-bit reference, their offset in the slab region over the chunk alignment
 * plus one (0: none), so a page keeps its address for the life of the store: a page the shrinker
 * cannot map again at its own address is lost, not moved.
 *
 * @example
 * ```ts
 * const layout = new StoreLayout(store.handle);
 * memory.readF64(layout.globalAt('items'));          // the items held, from any CPU
 * layout.chunkAt(layout.chunkRef(chunk)) === chunk;  // true
 * ```
 */
import { assert } from '../../../ground/assert.js';
import { pageBytes } from '../../../actors/vm/limits.js';
import { chunkAlignBytes, slabClassesCountMax, slabPageBytes } from './limits-slabs.js';
import { framesPerSlabPage } from './limits-shared-store.js';

/**
 * What any CPU needs to open the store: numbers only, so it crosses CPUs in a message or a frame.
 * `SharedItemStore.open` checks it against the header's copy.
 */
export interface SharedItemStoreHandle {
  readonly headerAddress: number;
  readonly headerBytes: number;
  readonly slabAddress: number;
  readonly pagesCount: number;
  readonly bucketsCount: number;
  readonly limitBytes: number;
  readonly itemBytesMax: number;
  readonly chunkBytesMin: number;
  readonly growthFactor: number;
}

/** The word the header starts with ("mcSS"), and the version of this layout. */
export const storeMagic = 0x5353_636d;
export const storeLayoutVersion = 1;

/** Byte offsets of the globals. 32-bit words first, then float64s (counters may pass 2^32). */
const globalOffsets = {
  magic: 0,
  version: 4,
  lock: 8,
  pagesCount: 12,
  bucketsCount: 16,
  classesCount: 20,
  poolNewest: 24,
  poolOldest: 28,
  poolCount: 32,
  pageLruNewest: 36,
  pageLruOldest: 40,
  pagesReturning: 44,
  pagesLost: 48,
  itemBytesMax: 52,
  casLast: 56,
  flushAtMs: 64,
  nowMsLast: 72,
  items: 80,
  itemsStored: 88,
  bytes: 96,
  evictions: 104,
  expired: 112,
  pagesRebalanced: 120,
  shrinks: 128,
  pagesReturned: 136,
  bytesReturned: 144,
  writesOutOfMemory: 152,
  limitBytes: 160,
  slabAddress: 168,
  pageLruCount: 176,
  pagesReturnFailed: 184,
} as const;
export type GlobalField = keyof typeof globalOffsets;
const globalsBytes = 256;

/** Byte offsets within a class entry (32-bit words; chunk references and counts). */
export const classField = {
  chunkBytes: 0,
  freeNewest: 4,
  freeOldest: 8,
  freeCount: 12,
  lruNewest: 16,
  lruOldest: 20,
  itemsCount: 24,
  pagesCount: 28,
  /** The page chunks are carved from, plus one; 0: none. A class carves one page at a time. */
  carvingPage: 32,
} as const;
const classEntryBytes = 40;

/** A page's state: in the pool, cut into a class's chunks, on its way back to the VM, or lost (unmapped for good). */
export const pageState = { pool: 0, inClass: 1, returning: 2, lost: 3 } as const;

/** Byte offsets within a page entry. */
export const pageField = {
  state: 0,
  classIndex: 4,
  carvedCount: 8,
  usedCount: 12,
  /** Links in the page LRU (in a class) or the pool (in none): page references, index plus one. */
  newer: 16,
  older: 20,
  touchedCount: 24,
  lastUseMs: 32,
  touchedBits: 40,
} as const;
const pageEntryBytes = pageField.touchedBits + framesPerSlabPage / 8;

/** Byte offsets within a chain entry (per chunk of the largest class). */
export const chainField = { next: 0, head: 4 } as const;
const chainEntryBytes = 8;

const alignUp = (bytes: number, to: number): number => Math.ceil(bytes / to) * to;

/** The addresses of every structure, from a handle. Pure arithmetic: reads no memory. */
export class StoreLayout {
  readonly headerAddress: number;
  readonly slabAddress: number;
  readonly slabEndAddress: number;
  readonly pagesCount: number;
  readonly bucketsCount: number;
  private readonly classesAt: number;
  private readonly pagesAt: number;
  private readonly chainAt: number;
  private readonly bucketsAt: number;

  constructor(readonly handle: SharedItemStoreHandle) {
    this.headerAddress = handle.headerAddress;
    this.slabAddress = handle.slabAddress;
    this.pagesCount = handle.pagesCount;
    this.bucketsCount = handle.bucketsCount;
    this.slabEndAddress = this.slabAddress + this.pagesCount * slabPageBytes;
    this.classesAt = this.headerAddress + globalsBytes;
    this.pagesAt = this.classesAt + slabClassesCountMax * classEntryBytes;
    this.chainAt = this.pagesAt + this.pagesCount * pageEntryBytes;
    this.bucketsAt = alignUp(this.chainAt + this.pagesCount * 2 * chainEntryBytes, 8);
    assert(this.bucketsAt + this.bucketsCount * 4 <= this.headerAddress + handle.headerBytes, 'the header region holds every structure');
  }

  /** Bytes of the header region for `pagesCount` pages and `bucketsCount` buckets: whole VM pages. */
  static headerBytesFor(pagesCount: number, bucketsCount: number): number {
    const chainEnd = globalsBytes + slabClassesCountMax * classEntryBytes + pagesCount * pageEntryBytes + pagesCount * 2 * chainEntryBytes;
    return alignUp(alignUp(chainEnd, 8) + bucketsCount * 4, pageBytes);
  }

  globalAt(field: GlobalField): number {
    return this.headerAddress + globalOffsets[field];
  }

  classAt(classIndex: number): number {
    return this.classesAt + classIndex * classEntryBytes;
  }

  pageEntryAt(pageIndex: number): number {
    return this.pagesAt + pageIndex * pageEntryBytes;
  }

  /** The entry of the largest-class chunk at `chunk` (which starts on a half page). */
  chainEntryAt(chunk: number): number {
    return this.chainAt + ((chunk - this.slabAddress) / (slabPageBytes / 2)) * chainEntryBytes;
  }

  bucketAt(bucket: number): number {
    return this.bucketsAt + bucket * 4;
  }

  pageAddress(pageIndex: number): number {
    return this.slabAddress + pageIndex * slabPageBytes;
  }

  /** The page `address`, in the slab region, lies on. */
  pageIndexOf(address: number): number {
    return Math.floor((address - this.slabAddress) / slabPageBytes);
  }

  holdsSlabAddress(address: number): boolean {
    return Number.isSafeInteger(address) && address >= this.slabAddress && address < this.slabEndAddress && address % chunkAlignBytes === 0;
  }

  /** The reference of the chunk at `address` (never 0). */
  chunkRef(address: number): number {
    return (address - this.slabAddress) / chunkAlignBytes + 1;
  }

  /** The address of the chunk `ref` (not 0) names. */
  chunkAt(ref: number): number {
    return this.slabAddress + (ref - 1) * chunkAlignBytes;
  }
}
