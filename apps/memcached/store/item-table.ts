/**
 * The shared store's items: the hash index, each class's LRU and the slab allocator put together,
 * every step on VM memory (memcached's items.c). Each method is one piece of a store call and runs
 * under the store's lock, which the facade (shared-item-store.ts) holds; none of them waits.
 *
 * - **Storing** unlinks the old item first (a store that fails must not leave the stale value),
 *   takes chunks (making room as needed), writes the bytes, and only then links the item: a write
 *   that runs out of physical memory leaves no half item behind, its chunks go back to the far end
 *   of their free list, and the class's least recently used item is evicted so that its chunk,
 *   whose frames are backed, is tried next, `writeRetriesCountMax` times at most.
 * - **Room** at the cap: the least recently used page of another class, if it was used before this
 *   class's least recently used item (memcached's slab rebalancer, done at once), else that item.
 * - **Expiry and flush**: an item met expired or flushed is removed and counted as expired.
 *
 * @example
 * ```ts
 * const chunk = table.liveChunk(keyBytes, nowMs);   // -1: absent (an expired one is removed on the way)
 * if (chunk >= 0) table.markUsed(chunk, nowMs);
 * ```
 */
import { assert } from '../../../ground/assert.js';
import type { MemoryAccess } from '../../../actors/vm/memory-access.js';
import { OutOfMemoryError } from '../../../actors/vm/errors.js';
import type { StoreFailure } from './item-store.js';
import { itemHeaderBytes, rebalanceScanPagesMax, writeRetriesCountMax } from './limits-slabs.js';
import { slabClassFor } from './slab-classes.js';
import { HashIndex, keyHash } from './hash-index.js';
import { readValueBytes, writeItemBytes } from './item-bytes.js';
import { itemField, itemKind, keyBytesOf, kindOf, kindWord } from './item-header.js';
import type { SlabAllocator } from './slab-allocator.js';
import type { GlobalField, StoreLayout } from './store-layout.js';

/** An out-of-memory fault, thrown here or as it crossed from another CPU (by its code). */
export function isOutOfMemory(error: unknown): boolean {
  return error instanceof OutOfMemoryError || (error as { code?: unknown } | null)?.code === 'out-of-memory';
}

export class ItemTable {
  readonly index: HashIndex;
  private readonly markTouched: (address: number, length: number) => void;

  constructor(
    readonly memory: MemoryAccess,
    readonly layout: StoreLayout,
    readonly slabs: SlabAllocator,
  ) {
    this.index = new HashIndex(memory, layout);
    this.markTouched = (address, length) => slabs.markTouched(address, length);
  }

  global(field: GlobalField): number {
    return this.memory.readF64(this.layout.globalAt(field));
  }

  setGlobal(field: GlobalField, value: number): void {
    this.memory.writeF64(this.layout.globalAt(field), value);
  }

  addGlobal(field: GlobalField, delta: number): void {
    this.setGlobal(field, this.global(field) + delta);
  }

  /** Notes the latest time a call gave: what the shrinker, which has no clock, judges expiry by. */
  noteNow(nowMs: number): void {
    if (nowMs > this.global('nowMsLast')) this.setGlobal('nowMsLast', nowMs);
  }

  /** The items held: what bounds every walk of a list or a chain. */
  get itemsCount(): number {
    return this.global('items');
  }

  f64(chunk: number, field: 'cas' | 'exptimeMs' | 'lastAccessMs' | 'storedMs'): number {
    return this.memory.readF64(chunk + itemField[field]);
  }

  u32(chunk: number, field: 'valueBytes' | 'flags' | 'kindAndKey'): number {
    return this.memory.readU32(chunk + itemField[field]);
  }

  keyBytes(chunk: number): number {
    return keyBytesOf(this.u32(chunk, 'kindAndKey'));
  }

  /** Bytes the item takes: header, key and value, as its chunks hold them one after the other. */
  footprintBytes(chunk: number): number {
    return itemHeaderBytes + this.keyBytes(chunk) + this.u32(chunk, 'valueBytes');
  }

  /** The item's chunks, in order: one, or the chain of a large item. */
  chunksOf(chunk: number, classIndex: number): number[] {
    if (classIndex !== this.slabs.lastClass) return [chunk];
    const chunks = [chunk];
    for (let next = this.slabs.chainNext(chunk); next !== undefined; next = this.slabs.chainNext(next)) {
      assert(chunks.length < this.layout.pagesCount * 2, 'a chain is shorter than the chunks of the largest class');
      chunks.push(next);
    }
    return chunks;
  }

  /** The first chunk of the live item under `key` at `nowMs`, or -1: an expired or flushed one is removed (counted as expired). */
  liveChunk(key: Uint8Array, nowMs: number): number {
    this.noteNow(nowMs);
    const chunk = this.index.find(key, keyHash(key), this.itemsCount);
    if (chunk < 0 || !this.isGone(chunk, nowMs)) return chunk;
    this.unlink(chunk);
    this.addGlobal('expired', 1);
    return -1;
  }

  /** Whether the item at `chunk` has expired or was flushed at `nowMs`. */
  isGone(chunk: number, nowMs: number): boolean {
    const exptimeMs = this.f64(chunk, 'exptimeMs');
    const flushAtMs = this.global('flushAtMs');
    return (exptimeMs !== 0 && exptimeMs <= nowMs) || (flushAtMs !== 0 && flushAtMs <= nowMs && this.f64(chunk, 'storedMs') <= flushAtMs);
  }

  /** Marks the item at `chunk` used at `nowMs`: newest in its class, and its pages newest. */
  markUsed(chunk: number, nowMs: number): void {
    this.noteNow(nowMs);
    this.memory.writeF64(chunk + itemField.lastAccessMs, nowMs);
    const classIndex = this.slabs.classOfChunk(chunk);
    this.slabs.itemLrus[classIndex]!.touch(chunk);
    for (const each of this.chunksOf(chunk, classIndex)) this.slabs.pageUsed(this.layout.pageIndexOf(each), nowMs);
  }

  setExptime(chunk: number, exptimeMs: number): void {
    this.memory.writeF64(chunk + itemField.exptimeMs, exptimeMs);
  }

  readValue(chunk: number): Uint8Array {
    const classIndex = this.slabs.classOfChunk(chunk);
    return readValueBytes(
      this.memory,
      this.chunksOf(chunk, classIndex),
      this.slabs.chunkSizes[classIndex]!,
      this.keyBytes(chunk),
      this.u32(chunk, 'valueBytes'),
    );
  }

  /**
   * Stores `value` under `key`, replacing any item there; the first chunk of the new item, or why
   * it could not. Never throws out of memory: it answers 'out-of-memory'.
   */
  store(key: Uint8Array, flags: number, exptimeMs: number, value: Uint8Array, nowMs: number): number | StoreFailure {
    this.noteNow(nowMs);
    const old = this.index.find(key, keyHash(key), this.itemsCount);
    if (old >= 0) this.unlink(old);
    const footprintBytes = itemHeaderBytes + key.length + value.length;
    const fitting = slabClassFor(this.slabs.chunkSizes, footprintBytes);
    const classIndex = fitting >= 0 ? fitting : this.slabs.lastClass;
    const chunkBytes = this.slabs.chunkSizes[classIndex]!;
    const chunksCount = Math.ceil(footprintBytes / chunkBytes);
    for (let attempt = 1; ; attempt++) {
      const chunks = this.acquireChunks(classIndex, chunksCount, nowMs);
      if (chunks === 'no-room') return 'out-of-memory';
      if (chunks !== 'no-frames') {
        const cas = this.global('casLast') + 1;
        if (this.writeItem(chunks, chunkBytes, { key, value, flags, cas, exptimeMs, nowMs })) {
          this.setGlobal('casLast', cas);
          this.link(chunks, classIndex, key, nowMs);
          return chunks[0]!;
        }
        for (const chunk of chunks) this.slabs.freeChunk(classIndex, chunk, true);
      }
      // Physical memory ran out: evict the least recently used item, whose chunk has backed frames
      // and is reused first, and try again, a bounded number of times.
      this.addGlobal('writesOutOfMemory', 1);
      if (attempt >= writeRetriesCountMax || !this.evictOldest(classIndex, nowMs)) return 'out-of-memory';
    }
  }

  private writeItem(chunks: readonly number[], chunkBytes: number, content: Parameters<typeof writeItemBytes>[3]): boolean {
    try {
      writeItemBytes(this.memory, chunks, chunkBytes, content, this.markTouched);
      return true;
    } catch (error) {
      if (!isOutOfMemory(error)) throw error;
      return false;
    }
  }

  /** `count` chunks of `classIndex`, making room as needed; 'no-room' when none can be made, 'no-frames' when carving ran out of memory. */
  private acquireChunks(classIndex: number, count: number, nowMs: number): number[] | 'no-room' | 'no-frames' {
    const chunks: number[] = [];
    const giveBack = (): void => {
      for (const taken of chunks) this.slabs.freeChunk(classIndex, taken, false);
    };
    // Bounded: each pass takes a chunk, moves a page from the pool, evicts an item or moves a page
    // from another class into this one, and there are finitely many of each.
    while (chunks.length < count) {
      let chunk: number | undefined;
      try {
        chunk = this.slabs.takeChunk(classIndex) ?? this.slabs.chunkFromPool(classIndex, nowMs);
      } catch (error) {
        if (!isOutOfMemory(error)) throw error;
        giveBack();
        return 'no-frames';
      }
      if (chunk !== undefined) chunks.push(chunk);
      else if (!this.makeRoom(classIndex, nowMs)) {
        giveBack();
        return 'no-room';
      }
    }
    return chunks;
  }

  /** Room for one more chunk of `classIndex` at the cap: another class's least recently used page if older than this class's oldest item, else that item. */
  private makeRoom(classIndex: number, nowMs: number): boolean {
    const victim = this.slabs.itemLrus[classIndex]!.oldest();
    const victimAccessMs = victim < 0 ? Number.POSITIVE_INFINITY : this.f64(victim, 'lastAccessMs');
    // A class with no item to evict looks at every page; otherwise a few from the old end.
    let scanLeft = victim < 0 ? this.layout.pagesCount : rebalanceScanPagesMax;
    for (let page = this.slabs.pageLru.oldest(); page >= 0 && scanLeft > 0; page = this.slabs.pageLru.newerOf(page), scanLeft--) {
      if (this.slabs.pageU32(page, 'classIndex') === classIndex) continue;
      if (this.slabs.pageLastUseMs(page) >= victimAccessMs) break;
      this.emptyPage(page, nowMs);
      this.slabs.leaveClass(page);
      this.slabs.joinClass(page, classIndex, nowMs);
      this.addGlobal('pagesRebalanced', 1);
      return true;
    }
    return this.evictOldest(classIndex, nowMs);
  }

  /** Evicts the least recently used item of `classIndex`; false when it has none. An expired or flushed one counts as expired. */
  evictOldest(classIndex: number, nowMs: number): boolean {
    const victim = this.slabs.itemLrus[classIndex]!.oldest();
    if (victim < 0) return false;
    this.evict(victim, nowMs);
    return true;
  }

  private evict(chunk: number, nowMs: number): void {
    this.addGlobal(this.isGone(chunk, nowMs) ? 'expired' : 'evictions', 1);
    this.unlink(chunk);
  }

  /** Evicts every item with a chunk on `page`, which is in a class. */
  emptyPage(page: number, nowMs: number): void {
    const classIndex = this.slabs.pageU32(page, 'classIndex');
    const chunkBytes = this.slabs.chunkSizes[classIndex]!;
    const address = this.layout.pageAddress(page);
    for (let slot = 0, carved = this.slabs.pageU32(page, 'carvedCount'); slot < carved && this.slabs.pageU32(page, 'usedCount') > 0; slot++) {
      const chunk = address + slot * chunkBytes;
      if (!this.slabs.chunkInUse(classIndex, chunk)) continue;
      this.evict(classIndex === this.slabs.lastClass ? this.slabs.chainHead(chunk)! : chunk, nowMs);
    }
  }

  /** Makes the written item in `chunks` the store's item under `key`. */
  private link(chunks: readonly number[], classIndex: number, key: Uint8Array, nowMs: number): void {
    const head = chunks[0]!;
    this.memory.writeU32(head + itemField.kindAndKey, kindWord(itemKind.item, key.length));
    this.index.insert(head, keyHash(key));
    this.slabs.itemLrus[classIndex]!.pushNewest(head);
    chunks.forEach((chunk, at) => {
      const page = this.layout.pageIndexOf(chunk);
      this.slabs.setPageU32(page, 'usedCount', this.slabs.pageU32(page, 'usedCount') + 1);
      this.slabs.pageUsed(page, nowMs);
      if (classIndex === this.slabs.lastClass) this.slabs.setChain(chunk, head, chunks[at + 1] ?? 0);
    });
    this.addGlobal('items', 1);
    this.addGlobal('itemsStored', 1);
    this.addGlobal('bytes', this.footprintBytes(head));
  }

  /** Forgets the item at `chunk`: its chunks go back to their class's free chunks. */
  unlink(chunk: number): void {
    assert(kindOf(this.u32(chunk, 'kindAndKey')) === itemKind.item, 'only an item is unlinked');
    const classIndex = this.slabs.classOfChunk(chunk);
    const footprintBytes = this.footprintBytes(chunk);
    const keyLength = this.keyBytes(chunk);
    this.index.remove(chunk, keyHash(this.memory.read(chunk + itemHeaderBytes, keyLength)), this.itemsCount);
    this.slabs.itemLrus[classIndex]!.remove(chunk);
    for (const each of this.chunksOf(chunk, classIndex)) {
      const page = this.layout.pageIndexOf(each);
      this.slabs.setPageU32(page, 'usedCount', this.slabs.pageU32(page, 'usedCount') - 1);
      this.slabs.freeChunk(classIndex, each, false);
    }
    this.addGlobal('items', -1);
    this.addGlobal('bytes', -footprintBytes);
    assert(this.global('bytes') >= 0 && this.global('items') >= 0, 'the items and their bytes never go below zero');
  }

  /** Forgets every item (an immediate flush_all). */
  unlinkAll(): void {
    this.slabs.itemLrus.forEach((lru) => {
      for (let chunk = lru.oldest(); chunk >= 0; chunk = lru.oldest()) this.unlink(chunk);
    });
    assert(this.global('bytes') === 0 && this.global('items') === 0, 'a flush leaves no item behind');
  }
}
