/**
 * The shared store's slab allocator, in VM memory (memcached's slabs.c): the pages (in the pool, in
 * a class, returning or lost), each class's free chunks and carving page, the page LRU the
 * rebalancer and the shrinker take pages from, and which frames each page has written. Items are
 * the item table's business (item-table.ts): a page leaves its class only once it holds none.
 * Callers hold the store's lock.
 *
 * A class hands out its freed chunks first (last freed first: their frames are backed and warm),
 * then carves its carving page in address order, so untouched frames stay uncommitted until needed.
 * Carving writes a chunk's first 16 bytes (item-header.ts), so it may run out of physical memory:
 * it then throws the VM's OutOfMemoryError with nothing changed, and the caller evicts and retries.
 *
 * @example
 * ```ts
 * const chunk = slabs.takeChunk(classIndex) ?? slabs.chunkFromPool(classIndex, nowMs); // undefined: none
 * slabs.freeChunk(classIndex, chunk, false);
 * ```
 */
import { assert, invariantBroken } from '../../../ground/assert.js';
import type { MemoryAccess } from '../../../actors/vm/memory-access.js';
import { pageBytes } from '../../../actors/vm/limits.js';
import { slabPageBytes } from './limits-slabs.js';
import { chunksPerPage } from './slab-classes.js';
import { carvedWrittenBytes, itemField, itemKind, kindOf, kindWord } from './item-header.js';
import { chainField, classField, pageField, pageState, type StoreLayout } from './store-layout.js';
import { VmList, type VmListShape } from './vm-list.js';

const noClass = 0xffff_ffff;

export class SlabAllocator {
  readonly lastClass: number;
  readonly chunksPerPage: readonly number[];
  /** Pages in a class, least recently used first. */
  readonly pageLru: VmList;
  /** Mapped pages in no class, as a stack. */
  readonly pool: VmList;
  readonly itemLrus: readonly VmList[];
  readonly freeLists: readonly VmList[];

  constructor(
    private readonly memory: MemoryAccess,
    private readonly layout: StoreLayout,
    readonly chunkSizes: readonly number[],
  ) {
    this.lastClass = chunkSizes.length - 1;
    this.chunksPerPage = chunkSizes.map(chunksPerPage);
    const pageShape = (newest: 'pageLruNewest' | 'poolNewest', oldest: 'pageLruOldest' | 'poolOldest', count: 'pageLruCount' | 'poolCount'): VmListShape => ({
      newestAt: layout.globalAt(newest),
      oldestAt: layout.globalAt(oldest),
      countAt: layout.globalAt(count),
      newerAt: (page) => layout.pageEntryAt(page) + pageField.newer,
      olderAt: (page) => layout.pageEntryAt(page) + pageField.older,
      ref: (page) => page + 1,
      node: (ref) => ref - 1,
    });
    this.pageLru = new VmList(memory, pageShape('pageLruNewest', 'pageLruOldest', 'pageLruCount'));
    this.pool = new VmList(memory, pageShape('poolNewest', 'poolOldest', 'poolCount'));
    const chunkShape = (classIndex: number, newest: number, oldest: number, count: number): VmListShape => ({
      newestAt: layout.classAt(classIndex) + newest,
      oldestAt: layout.classAt(classIndex) + oldest,
      countAt: layout.classAt(classIndex) + count,
      newerAt: (chunk) => chunk + itemField.newer,
      olderAt: (chunk) => chunk + itemField.older,
      ref: (chunk) => layout.chunkRef(chunk),
      node: (ref) => layout.chunkAt(ref),
    });
    this.itemLrus = chunkSizes.map((_, index) => new VmList(memory, chunkShape(index, classField.lruNewest, classField.lruOldest, classField.itemsCount)));
    this.freeLists = chunkSizes.map((_, index) => new VmList(memory, chunkShape(index, classField.freeNewest, classField.freeOldest, classField.freeCount)));
  }

  /** Writes a new store's pages and classes: every page in the pool, lowest address on top. */
  format(): void {
    const { memory, layout } = this;
    this.chunkSizes.forEach((chunkBytes, index) => memory.writeU32(layout.classAt(index) + classField.chunkBytes, chunkBytes));
    for (let page = layout.pagesCount - 1; page >= 0; page--) {
      memory.writeU32(layout.pageEntryAt(page) + pageField.classIndex, noClass);
      this.pool.pushNewest(page);
    }
  }

  pageU32(page: number, field: keyof typeof pageField): number {
    return this.memory.readU32(this.layout.pageEntryAt(page) + pageField[field]);
  }

  setPageU32(page: number, field: keyof typeof pageField, value: number): void {
    this.memory.writeU32(this.layout.pageEntryAt(page) + pageField[field], value);
  }

  pageLastUseMs(page: number): number {
    return this.memory.readF64(this.layout.pageEntryAt(page) + pageField.lastUseMs);
  }

  classU32(classIndex: number, field: keyof typeof classField): number {
    return this.memory.readU32(this.layout.classAt(classIndex) + classField[field]);
  }

  private setClassU32(classIndex: number, field: keyof typeof classField, value: number): void {
    this.memory.writeU32(this.layout.classAt(classIndex) + classField[field], value);
  }

  /** The class of the page `chunk` lies on; the page must be in a class. */
  classOfChunk(chunk: number): number {
    const page = this.layout.pageIndexOf(chunk);
    if (this.pageU32(page, 'state') !== pageState.inClass) invariantBroken(`the chunk at 0x${chunk.toString(16)} lies on no page of a class`);
    return this.pageU32(page, 'classIndex');
  }

  /** Whether `chunk`, carved on a page of `classIndex`, holds an item's bytes (else it is free). */
  chunkInUse(classIndex: number, chunk: number): boolean {
    // A chained item's later chunks have no header: the chain table tells for the largest class.
    if (classIndex === this.lastClass) return this.memory.readU32(this.layout.chainEntryAt(chunk) + chainField.head) !== 0;
    return kindOf(this.memory.readU32(chunk + itemField.kindAndKey)) === itemKind.item;
  }

  /** A chunk of `classIndex`: a freed one, else one carved; undefined when the class has none. Throws OutOfMemoryError from carving. */
  takeChunk(classIndex: number): number | undefined {
    const freed = this.freeLists[classIndex]!.popNewest();
    if (freed >= 0) return freed;
    const carvingRef = this.classU32(classIndex, 'carvingPage');
    if (carvingRef === 0) return undefined;
    const page = carvingRef - 1;
    const carved = this.pageU32(page, 'carvedCount');
    const perPage = this.chunksPerPage[classIndex]!;
    assert(carved < perPage, 'a carving page has chunks left');
    const chunk = this.layout.pageAddress(page) + carved * this.chunkSizes[classIndex]!;
    // The link and kind words, each marked as soon as written: a fault on the second frame must still count the first.
    this.memory.writeU32(chunk + itemField.hashNext, 0);
    this.markTouched(chunk, 4);
    this.memory.writeU32(chunk + itemField.kindAndKey, kindWord(itemKind.carved, 0));
    this.markTouched(chunk, carvedWrittenBytes);
    this.setPageU32(page, 'carvedCount', carved + 1);
    if (carved + 1 === perPage) this.setClassU32(classIndex, 'carvingPage', 0);
    return chunk;
  }

  /** A chunk from a page the class takes from the pool; undefined when the pool is empty. */
  chunkFromPool(classIndex: number, nowMs: number): number | undefined {
    const page = this.pool.popNewest();
    if (page < 0) return undefined;
    this.joinClass(page, classIndex, nowMs);
    return this.takeChunk(classIndex);
  }

  /**
   * Gives a chunk back to its class. `reuseLast`: for a chunk whose write ran out of physical memory
   * (its frames are not all backed), at the other end, so backed ones are tried first.
   */
  freeChunk(classIndex: number, chunk: number, reuseLast: boolean): void {
    this.memory.writeU32(chunk + itemField.kindAndKey, kindWord(itemKind.free, 0));
    if (classIndex === this.lastClass) this.setChain(chunk, 0, 0);
    if (reuseLast) this.freeLists[classIndex]!.pushOldest(chunk);
    else this.freeLists[classIndex]!.pushNewest(chunk);
  }

  /** Records the chained item `head` `chunk` belongs to, and the chunk after it (0: none). */
  setChain(chunk: number, head: number, next: number): void {
    const at = this.layout.chainEntryAt(chunk);
    this.memory.writeU32(at + chainField.head, head === 0 ? 0 : this.layout.chunkRef(head));
    this.memory.writeU32(at + chainField.next, next === 0 ? 0 : this.layout.chunkRef(next));
  }

  /** The chunk after `chunk` in its chained item; undefined at the last. */
  chainNext(chunk: number): number | undefined {
    const ref = this.memory.readU32(this.layout.chainEntryAt(chunk) + chainField.next);
    return ref === 0 ? undefined : this.layout.chunkAt(ref);
  }

  /** The first chunk of the item `chunk`, of the largest class, belongs to; undefined when free. */
  chainHead(chunk: number): number | undefined {
    const ref = this.memory.readU32(this.layout.chainEntryAt(chunk) + chainField.head);
    return ref === 0 ? undefined : this.layout.chunkAt(ref);
  }

  /** Gives `page`, in no list, to `classIndex`, which has no carving page left. */
  joinClass(page: number, classIndex: number, nowMs: number): void {
    assert(this.classU32(classIndex, 'carvingPage') === 0, 'a class takes a page when it has no chunk left to carve');
    this.setPageU32(page, 'state', pageState.inClass);
    this.setPageU32(page, 'classIndex', classIndex);
    this.setPageU32(page, 'carvedCount', 0);
    this.setPageU32(page, 'usedCount', 0);
    this.memory.writeF64(this.layout.pageEntryAt(page) + pageField.lastUseMs, nowMs);
    this.pageLru.pushNewest(page);
    this.setClassU32(classIndex, 'pagesCount', this.classU32(classIndex, 'pagesCount') + 1);
    this.setClassU32(classIndex, 'carvingPage', page + 1);
  }

  /** Takes `page`, which holds no item any more, out of its class with its free chunks, into no list. */
  leaveClass(page: number): void {
    assert(this.pageU32(page, 'state') === pageState.inClass, 'only a page in a class leaves it');
    if (this.pageU32(page, 'usedCount') !== 0) invariantBroken(`a page leaves its class empty, but ${this.pageU32(page, 'usedCount')} chunks hold items`);
    const classIndex = this.pageU32(page, 'classIndex');
    const chunkBytes = this.chunkSizes[classIndex]!;
    const address = this.layout.pageAddress(page);
    for (let slot = 0, carved = this.pageU32(page, 'carvedCount'); slot < carved; slot++) this.freeLists[classIndex]!.remove(address + slot * chunkBytes);
    if (this.classU32(classIndex, 'carvingPage') === page + 1) this.setClassU32(classIndex, 'carvingPage', 0);
    this.setClassU32(classIndex, 'pagesCount', this.classU32(classIndex, 'pagesCount') - 1);
    this.pageLru.remove(page);
    this.setPageU32(page, 'state', pageState.pool);
    this.setPageU32(page, 'classIndex', noClass);
    this.setPageU32(page, 'carvedCount', 0);
  }

  /** Notes a use of an item on `page` at `nowMs`: the page is the most recently used. */
  pageUsed(page: number, nowMs: number): void {
    this.memory.writeF64(this.layout.pageEntryAt(page) + pageField.lastUseMs, nowMs);
    this.pageLru.touch(page);
  }

  /** Records that `[address, address + length)`, on one page, was written: its frames are backed now. */
  markTouched(address: number, length: number): void {
    if (length === 0) return;
    const page = this.layout.pageIndexOf(address);
    const offset = address - this.layout.pageAddress(page);
    assert(offset >= 0 && offset + length <= slabPageBytes, 'a write stays within its page');
    const bitsAt = this.layout.pageEntryAt(page) + pageField.touchedBits;
    let added = 0;
    for (let frame = Math.floor(offset / pageBytes), last = Math.floor((offset + length - 1) / pageBytes); frame <= last; frame++) {
      const byteAt = bitsAt + (frame >>> 3);
      const byte = this.memory.readU8(byteAt);
      const bit = 1 << (frame & 7);
      if ((byte & bit) !== 0) continue;
      this.memory.writeU8(byteAt, byte | bit);
      added++;
    }
    if (added > 0) this.setPageU32(page, 'touchedCount', this.pageU32(page, 'touchedCount') + added);
  }

  /** Bytes of frames `page` has written since it was mapped: what unmapping it gives back. */
  touchedBytes(page: number): number {
    return this.pageU32(page, 'touchedCount') * pageBytes;
  }

  /** Forgets `page`'s frames: it was unmapped and mapped fresh. */
  forgetTouched(page: number): void {
    const bitsAt = this.layout.pageEntryAt(page) + pageField.touchedBits;
    for (let byte = 0; byte < slabPageBytes / pageBytes / 8; byte++) this.memory.writeU8(bitsAt + byte, 0);
    this.setPageU32(page, 'touchedCount', 0);
  }
}
