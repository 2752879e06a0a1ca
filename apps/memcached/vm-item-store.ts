/**
 * memcached's item store with its values in the kernel's virtual memory, laid out as memcached's
 * slab allocator lays them out, and a shrinker the VM asks for memory back (OSv's shrinker API).
 *
 * - **Pages.** The whole cap (`limitBytes`, memcached's `-m`) is reserved as address space when the
 *   store is created, without `populate` and without huge pages: a frame is committed only when a
 *   chunk on it is first written, 4 KiB at a time, so the store grows into free memory as items
 *   arrive and a page given back frees exactly the frames it held. Each slab class takes whole
 *   1 MiB pages from the pool as it needs them and cuts them into chunks.
 * - **Items.** An item's header, key and value go into one chunk of the smallest class that holds
 *   them; an item larger than the largest chunk (half a page) is chained across chunks of the last
 *   class, as memcached chains them. The metadata (key, flags, expiry, cas, LRU links, chunk
 *   addresses) lives in the JavaScript heap; the header, the key and the value live in the VM.
 * - **Room.** A class that needs a chunk takes a freed one, else carves one from a page it holds,
 *   else takes a page from the pool; at the cap, it evicts its least recently used item, or takes the
 *   least recently used page of another class if that page was used longer ago (memcached's slab
 *   rebalancer, done at once). A write that runs out of physical frames evicts the class's least
 *   recently used item and retries in its chunk, whose frames are backed, a bounded number of times,
 *   then answers 'out-of-memory'. Nothing out of memory ever throws out of the store.
 * - **Giving back.** `shrink` (what shrinker.ts's actor calls for the VM) gives whole pages back:
 *   pages holding no item first, then, when the VM asks hard, the least recently used pages, their
 *   items evicted. Each page is unmapped, which frees its frames, and mapped fresh at the same
 *   address (no frames until touched), so the cap's address space stays reserved; if another mapping
 *   took the address meanwhile, the page is mapped fresh elsewhere, and only if that fails too does
 *   the store lose the page (`slabStats().pagesLost`).
 *
 * Expiry and `flush_all` work as in HeapItemStore: an expired or flushed item is removed (and
 * counted as expired) when a call meets it or eviction reaches it; one delayed flush waits at a
 * time (memcached's `oldest_live`), and an immediate one forgets every item at once.
 *
 * One store serves the actors of one CPU: its methods are synchronous and run in the caller's turn.
 *
 * @example
 * ```ts
 * const vm = ctx.subsystem(virtualMemory);
 * const store = await VmItemStore.create(vm, { limitBytes: 64 << 20 });
 * await registerItemStoreShrinker(vm, store, (behavior) => ctx.spawn(behavior));
 * const item = store.store('user:1', 0, 0, new TextEncoder().encode('hello'), ctx.now());
 * if (typeof item !== 'string') store.read(item); // the bytes of 'hello'
 * ```
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { UsageError } from '../../ground/errors.js';
import type { MemoryAccess } from '../../actors/vm/memory-access.js';
import type { VirtualMemory } from '../../actors/vm/virtual-memory.js';
import { OutOfMemoryError } from '../../actors/vm/errors.js';
import { type Item, itemBytesMaxDefault, type ItemStore, type ItemStoreStats, type StoreFailure } from './item-store.js';
import { readValueBytes, writeItemBytes } from './item-bytes.js';
import { ItemNotLiveError } from './item-not-live-error.js';
import { ItemRecord } from './item-record.js';
import { itemBytesMaxLimit, itemHeaderBytes, rebalanceScanPagesMax, slabPageBytes, writeRetriesCountMax } from './limits-slabs.js';
import { LruList } from './lru-list.js';
import { SlabClass } from './slab-class.js';
import { type SlabGeometry, slabClassFor, slabClassSizes, slabGeometryDefault } from './slab-classes.js';
import { SlabPage } from './slab-page.js';

/** What a VM item store is made with. */
export interface VmItemStoreOptions {
  /** The cap on memory, in bytes (memcached's `-m`): whole 1 MiB pages, at least one. */
  readonly limitBytes: number;
  /** The largest item, key and value together, in bytes (memcached's `-I`; default 1 MiB). */
  readonly itemBytesMax?: number;
  /** The smallest chunk and the growth factor (memcached's `-n` and `-f`); defaults in limits-slabs.ts. */
  readonly geometry?: Partial<Pick<SlabGeometry, 'chunkBytesMin' | 'growthFactor'>>;
}

/** One slab class's figures (memcached's `stats slabs`). */
export interface SlabClassStats {
  readonly chunkBytes: number;
  readonly pages: number;
  readonly items: number;
  readonly freeChunks: number;
}

/** The slab allocator's figures, beside the contract's `stats()`. */
export interface VmItemStoreSlabStats {
  /** Pages the store has: the cap's, less those lost. */
  readonly pagesCount: number;
  readonly pagesInPool: number;
  readonly pagesReturning: number;
  /** Pages given back whose address could not be mapped again: the store works on with fewer. */
  readonly pagesLost: number;
  /** Pages taken from one class for another (memcached's slab moves). */
  readonly pagesRebalanced: number;
  /** Bytes of frames the store's pages hold now (written since their mapping). */
  readonly touchedBytes: number;
  /** Shrink requests answered, pages given back and the bytes of frames they held. */
  readonly shrinks: number;
  readonly pagesReturned: number;
  readonly bytesReturned: number;
  /** Writes that ran out of physical frames and were retried or refused. */
  readonly writesOutOfMemory: number;
  /** The classes holding pages. */
  readonly classes: readonly SlabClassStats[];
}

const textEncoder = new TextEncoder();

/** An out-of-memory fault, thrown here or as it crossed from another CPU (by its code). */
function isOutOfMemory(error: unknown): boolean {
  return error instanceof OutOfMemoryError || (error as { code?: unknown } | null)?.code === 'out-of-memory';
}

export class VmItemStore implements ItemStore {
  /**
   * Reserves the cap as address space (no frames yet) and makes the store.
   *
   * @example
   * ```ts
   * const store = await VmItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 64 << 20 });
   * ```
   */
  static async create(vm: VirtualMemory, options: VmItemStoreOptions): Promise<VmItemStore> {
    const { limitBytes, itemBytesMax = itemBytesMaxDefault } = options;
    const sizes = slabClassSizes({ ...slabGeometryDefault, ...options.geometry });
    if (!(Number.isSafeInteger(limitBytes) && limitBytes >= slabPageBytes))
      throw new UsageError(`a VM item store's limitBytes is an integer of at least one ${slabPageBytes}-byte page, got ${limitBytes}`);
    const pagesCount = Math.floor(limitBytes / slabPageBytes);
    const largestChunkBytes = sizes[sizes.length - 1]!;
    const chunksForLargest = Math.ceil((itemHeaderBytes + itemBytesMax) / largestChunkBytes);
    if (!(Number.isSafeInteger(itemBytesMax) && itemBytesMax > 0 && itemBytesMax <= itemBytesMaxLimit))
      throw new UsageError(`itemBytesMax is a positive integer of at most ${itemBytesMaxLimit} bytes, got ${itemBytesMax}`);
    if (chunksForLargest > pagesCount * Math.floor(slabPageBytes / largestChunkBytes))
      throw new UsageError(`an item of itemBytesMax (${itemBytesMax} bytes) takes more pages than limitBytes (${limitBytes}) holds`);
    // 4 KiB pages: a frame is committed only when a chunk on it is written (see the header comment).
    const base = await vm.mmap(pagesCount * slabPageBytes, { huge: false });
    return new VmItemStore(vm, base, pagesCount, limitBytes, itemBytesMax, sizes);
  }

  readonly itemBytesMax: number;
  readonly limitBytes: number;
  private readonly classes: SlabClass[];
  private readonly chunkSizes: readonly number[];
  private readonly itemsByKey = new Map<string, ItemRecord>();
  private readonly pagesByAddress = new Map<number, SlabPage<ItemRecord>>();
  /** Pages in a class, least recently used first: what the shrinker and the rebalancer take. */
  private readonly pagesInUse = new LruList<SlabPage<ItemRecord>>();
  /** Mapped pages in no class, as a stack. */
  private pool: SlabPage<ItemRecord>[] = [];
  /**
   * Items stored at or before this are gone once the clock reaches it (a delayed `flush_all`); 0:
   * none. One time, as memcached's `oldest_live`: a later flush_all replaces an earlier one.
   */
  private flushAtMs = 0;
  /** The latest time a call gave: what the shrinker, which has no clock of its own, judges expiry by. */
  private nowMsLast = 0;
  private readonly returnsInFlight = new Set<Promise<number>>();
  private pagesReturning = 0;
  private closed = false;
  private keyScratch = new Uint8Array(256 * 3);
  private casLast = 0;
  private bytes = 0;
  private itemsStored = 0;
  private evictions = 0;
  private expired = 0;
  private pagesLost = 0;
  private pagesRebalanced = 0;
  private shrinks = 0;
  private pagesReturned = 0;
  private bytesReturned = 0;
  private writesOutOfMemory = 0;

  private constructor(
    private readonly vm: VirtualMemory,
    base: number,
    pagesCount: number,
    limitBytes: number,
    itemBytesMax: number,
    sizes: readonly number[],
  ) {
    assert(base % slabPageBytes === 0, 'a mapping of whole pages starts on a page boundary');
    this.limitBytes = limitBytes;
    this.itemBytesMax = itemBytesMax;
    this.chunkSizes = sizes;
    this.classes = sizes.map((chunkBytes, index) => new SlabClass(index, chunkBytes));
    // The lowest addresses on top, so pages are handed out in address order.
    for (let index = pagesCount - 1; index >= 0; index--) {
      const page = new SlabPage<ItemRecord>(base + index * slabPageBytes);
      this.pagesByAddress.set(page.address, page);
      this.pool.push(page);
    }
  }

  /** `key` in UTF-8, in a scratch buffer reused from call to call (valid until the next call): no allocation per store. */
  private encodeKey(key: string): Uint8Array {
    // A UTF-16 unit takes at most 3 bytes of UTF-8.
    if (this.keyScratch.length < key.length * 3) this.keyScratch = new Uint8Array(key.length * 3);
    const { written } = textEncoder.encodeInto(key, this.keyScratch);
    return this.keyScratch.subarray(0, written);
  }

  private get memory(): MemoryAccess {
    return this.vm.memory;
  }

  get(key: string, nowMs: number): Item | undefined {
    const record = this.liveRecord(key, nowMs);
    if (record === undefined) return undefined;
    this.markUsed(record, nowMs);
    return record;
  }

  peek(key: string, nowMs: number): Item | undefined {
    return this.liveRecord(key, nowMs);
  }

  store(key: string, flags: number, exptimeMs: number, value: Uint8Array, nowMs: number): Item | StoreFailure {
    this.checkOpen();
    this.nowMsLast = Math.max(this.nowMsLast, nowMs);
    const keyBytes = this.encodeKey(key);
    if (keyBytes.length + value.length > this.itemBytesMax) return 'too-large';
    // memcached unlinks the old item first: a set that fails must not leave the stale value behind.
    const old = this.itemsByKey.get(key);
    if (old !== undefined) this.unlink(old);
    const footprintBytes = itemHeaderBytes + keyBytes.length + value.length;
    const fitting = slabClassFor(this.chunkSizes, footprintBytes);
    const slabClass = this.classes[fitting >= 0 ? fitting : this.classes.length - 1]!;
    const chunksCount = Math.ceil(footprintBytes / slabClass.chunkBytes);
    for (let attempt = 1; ; attempt++) {
      const chunks = this.acquireChunks(slabClass, chunksCount, nowMs);
      if (chunks === undefined) return 'out-of-memory';
      if (this.writeItem(slabClass, chunks, keyBytes, value, flags)) {
        const record = new ItemRecord(key, flags, exptimeMs, ++this.casLast, value.length, keyBytes.length, nowMs, slabClass.index, chunks);
        this.link(record);
        return record;
      }
      // Physical memory ran out mid-write: evict the least recently used item, whose chunk has
      // backed frames and is reused first, and try again, a bounded number of times.
      this.writesOutOfMemory++;
      for (const chunk of chunks) slabClass.freeChunk(chunk, true);
      if (attempt >= writeRetriesCountMax || !this.evictOldest(slabClass, nowMs)) return 'out-of-memory';
    }
  }

  read(item: Item): Uint8Array {
    this.checkOpen();
    const record = this.ownRecord(item);
    return readValueBytes(this.memory, record.chunks, this.classes[record.classIndex]!.chunkBytes, record.keyBytes, record.valueBytes);
  }

  touch(item: Item, exptimeMs: number, nowMs: number): Item {
    const record = this.ownRecord(item);
    record.exptimeMs = exptimeMs;
    this.markUsed(record, nowMs);
    return record;
  }

  delete(key: string, nowMs: number): boolean {
    const record = this.liveRecord(key, nowMs);
    if (record === undefined) return false;
    this.unlink(record);
    return true;
  }

  flushAll(atMs: number, nowMs: number): void {
    this.nowMsLast = Math.max(this.nowMsLast, nowMs);
    if (atMs > nowMs) {
      this.flushAtMs = atMs;
      return;
    }
    // An immediate flush forgets everything now, so that what is stored next, in the same
    // millisecond, survives; it also cancels a delayed flush, as memcached's single oldest_live does.
    this.flushAtMs = 0;
    for (const record of [...this.itemsByKey.values()]) this.unlink(record);
    assert(this.bytes === 0, 'a flush leaves no bytes behind');
  }

  stats(): ItemStoreStats {
    return {
      items: this.itemsByKey.size,
      itemsStored: this.itemsStored,
      bytes: this.bytes,
      limitBytes: this.limitBytes,
      evictions: this.evictions,
      expired: this.expired,
    };
  }

  /** The slab allocator's figures: pages, classes, and what the shrinker gave back. */
  slabStats(): VmItemStoreSlabStats {
    let touchedBytes = 0;
    for (const page of this.pagesByAddress.values()) touchedBytes += page.touchedBytes;
    return {
      pagesCount: this.pagesByAddress.size,
      pagesInPool: this.pool.length,
      pagesReturning: this.pagesReturning,
      pagesLost: this.pagesLost,
      pagesRebalanced: this.pagesRebalanced,
      touchedBytes,
      shrinks: this.shrinks,
      pagesReturned: this.pagesReturned,
      bytesReturned: this.bytesReturned,
      writesOutOfMemory: this.writesOutOfMemory,
      classes: this.classes
        .filter((slabClass) => slabClass.pages.size > 0)
        .map((slabClass) => ({
          chunkBytes: slabClass.chunkBytes,
          pages: slabClass.pages.size,
          items: slabClass.items.size,
          freeChunks: slabClass.freeChunksCount,
        })),
    };
  }

  /**
   * Gives whole pages back to the VM until their frames make `bytesWanted`, or nothing is left to
   * give: pages holding no item first, then, if `hard`, the least recently used pages, their items
   * evicted. Resolves with the bytes of frames freed. What the shrinker actor calls (shrinker.ts).
   *
   * @example
   * ```ts
   * const freed = await store.shrink(4 << 20, true);
   * ```
   */
  async shrink(bytesWanted: number, hard: boolean): Promise<number> {
    if (this.closed) return 0;
    this.shrinks++;
    const returns = this.pagesToReturn(bytesWanted, hard).map((page) => this.returnPage(page));
    for (const pending of returns) this.returnsInFlight.add(pending);
    try {
      const freed = await Promise.all(returns);
      const bytes = freed.reduce((sum, pageFreedBytes) => sum + pageFreedBytes, 0);
      this.bytesReturned += bytes;
      return bytes;
    } finally {
      // Also when a return failed: `close` must not wait on a settled promise forever, nor count it.
      for (const pending of returns) this.returnsInFlight.delete(pending);
    }
  }

  /**
   * Unmaps every page (after any page on its way back is settled); the store takes no more calls.
   *
   * @example
   * ```ts
   * await vm.unregisterShrinker(shrinker);
   * await store.close();
   * ```
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.returnsInFlight);
    const addresses = [...this.pagesByAddress.keys()].sort((a, b) => a - b);
    this.pagesByAddress.clear();
    this.itemsByKey.clear();
    this.pool = [];
    // Neighbouring pages go in one unmap; a page mapped again elsewhere goes alone.
    for (let first = 0; first < addresses.length; ) {
      let last = first;
      while (last + 1 < addresses.length && addresses[last + 1] === addresses[last]! + slabPageBytes) last++;
      await this.vm.munmap(addresses[first]!, (last - first + 1) * slabPageBytes);
      first = last + 1;
    }
  }

  /** The live record under `key` at `nowMs`: an expired or flushed one is removed on the way (counted as expired). */
  private liveRecord(key: string, nowMs: number): ItemRecord | undefined {
    this.nowMsLast = Math.max(this.nowMsLast, nowMs);
    const record = this.itemsByKey.get(key);
    if (record === undefined) return undefined;
    if (this.isGone(record, nowMs)) {
      this.unlink(record);
      this.expired++;
      return undefined;
    }
    return record;
  }

  /** `item` as this store's live record, or ItemNotLiveError. */
  private ownRecord(item: Item): ItemRecord {
    if (!(item instanceof ItemRecord && item.live && this.itemsByKey.get(item.key) === item)) throw new ItemNotLiveError(item.key);
    return item;
  }

  private checkOpen(): void {
    if (this.closed) throw new UsageError('this VM item store is closed: its pages are unmapped');
  }

  private markUsed(record: ItemRecord, nowMs: number): void {
    this.nowMsLast = Math.max(this.nowMsLast, nowMs);
    record.lastAccessMs = nowMs;
    this.classes[record.classIndex]!.items.touch(record);
    for (const chunk of record.chunks) this.pageUsed(this.pageOf(chunk), nowMs);
  }

  private pageUsed(page: SlabPage<ItemRecord>, nowMs: number): void {
    page.lastUseMs = nowMs;
    this.pagesInUse.touch(page);
  }

  private pageOf(chunk: number): SlabPage<ItemRecord> {
    const page = this.pagesByAddress.get(chunk - (chunk % slabPageBytes));
    if (page === undefined || page.state !== 'class') invariantBroken(`the chunk at 0x${chunk.toString(16)} lies on no page of a class`);
    return page;
  }

  /** Makes `record`, whose bytes are written, the store's item under its key. */
  private link(record: ItemRecord): void {
    assert(!this.itemsByKey.has(record.key), 'a key holds one item: the old one was unlinked first');
    this.itemsByKey.set(record.key, record);
    this.classes[record.classIndex]!.items.pushNewest(record);
    for (const chunk of record.chunks) {
      const page = this.pageOf(chunk);
      page.owners[page.slotOf(chunk)] = record;
      page.usedCount++;
      this.pageUsed(page, record.storedMs);
    }
    this.bytes += record.footprintBytes;
    this.itemsStored++;
  }

  /** Forgets `record`: its chunks go back to their class's free chunks. */
  private unlink(record: ItemRecord): void {
    assert(record.live && this.itemsByKey.get(record.key) === record, 'only the live item under a key is unlinked');
    this.itemsByKey.delete(record.key);
    this.classes[record.classIndex]!.items.remove(record);
    for (const chunk of record.chunks) {
      const page = this.pageOf(chunk);
      page.owners[page.slotOf(chunk)] = undefined;
      page.usedCount--;
      this.classes[page.classIndex]!.freeChunk(chunk);
    }
    record.live = false;
    this.bytes -= record.footprintBytes;
    assert(this.bytes >= 0, 'the bytes of the items never go below zero');
  }

  /** Evicts the least recently used item of `slabClass`; false when it has none. An expired or flushed one counts as expired. */
  private evictOldest(slabClass: SlabClass, nowMs: number): boolean {
    const victim = slabClass.items.oldest;
    if (victim === undefined) return false;
    this.unlink(victim);
    if (this.isGone(victim, nowMs)) this.expired++;
    else this.evictions++;
    return true;
  }

  /** `count` chunks of `slabClass`, making room as needed; undefined when no room can be made. */
  private acquireChunks(slabClass: SlabClass, count: number, nowMs: number): number[] | undefined {
    const chunks: number[] = [];
    // Bounded: each pass takes a chunk, evicts an item or moves a page, and there are finitely many.
    while (chunks.length < count) {
      const chunk = slabClass.takeChunk() ?? this.chunkFromPool(slabClass, nowMs);
      if (chunk !== undefined) chunks.push(chunk);
      else if (!this.makeRoom(slabClass, nowMs)) {
        for (const taken of chunks) slabClass.freeChunk(taken);
        return undefined;
      }
    }
    return chunks;
  }

  private chunkFromPool(slabClass: SlabClass, nowMs: number): number | undefined {
    const page = this.pool.pop();
    if (page === undefined) return undefined;
    this.joinClass(page, slabClass, nowMs);
    return slabClass.takeChunk();
  }

  private joinClass(page: SlabPage<ItemRecord>, slabClass: SlabClass, nowMs: number): void {
    page.assign(slabClass.index, slabClass.chunkBytes, nowMs);
    slabClass.addPage(page);
    this.pagesInUse.pushNewest(page);
  }

  /**
   * Room for one more chunk of `slabClass` at the cap: the least recently used page of another class
   * if it was used before this class's least recently used item, else that item.
   */
  private makeRoom(slabClass: SlabClass, nowMs: number): boolean {
    const victim = slabClass.items.oldest;
    // A class with no item to evict looks at every page; otherwise a few from the old end.
    let scanLeft = victim === undefined ? Number.POSITIVE_INFINITY : rebalanceScanPagesMax;
    for (let page = this.pagesInUse.oldest; page !== undefined && scanLeft > 0; page = page.newer, scanLeft--) {
      if (page.classIndex === slabClass.index) continue;
      if (victim !== undefined && page.lastUseMs >= victim.lastAccessMs) break;
      this.leaveClass(page, nowMs);
      this.joinClass(page, slabClass, nowMs);
      this.pagesRebalanced++;
      return true;
    }
    return this.evictOldest(slabClass, nowMs);
  }

  /** Evicts every item on `page` and takes it out of its class, into no list: the caller places it. */
  private leaveClass(page: SlabPage<ItemRecord>, nowMs: number): void {
    for (let slot = 0; slot < page.carvedCount && page.usedCount > 0; slot++) {
      const owner = page.owners[slot];
      if (owner === undefined) continue;
      this.unlink(owner);
      if (this.isGone(owner, nowMs)) this.expired++;
      else this.evictions++;
    }
    this.classes[page.classIndex]!.removePage(page);
    this.pagesInUse.remove(page);
    page.leaveClass();
  }

  /** Writes the item into `chunks`; false if physical memory ran out on the way. */
  private writeItem(slabClass: SlabClass, chunks: readonly number[], key: Uint8Array, value: Uint8Array, flags: number): boolean {
    try {
      writeItemBytes(this.memory, chunks, slabClass.chunkBytes, key, value, flags, this.markTouched);
      return true;
    } catch (error) {
      if (!isOutOfMemory(error)) throw error;
      return false;
    }
  }

  /** Notes that `[address, address + length)`, on one page, was written: its frames are backed now. */
  private readonly markTouched = (address: number, length: number): void => {
    const page = this.pageOf(address);
    page.markTouched(address - page.address, length);
  };

  /** Whether `record` has expired or was flushed at `nowMs`. */
  private isGone(record: ItemRecord, nowMs: number): boolean {
    return record.expiredAt(nowMs) || (this.flushAtMs !== 0 && this.flushAtMs <= nowMs && record.storedMs <= this.flushAtMs);
  }

  /** Chooses pages to give back and takes them out of use, synchronously, so no store call meets them on their way. */
  private pagesToReturn(bytesWanted: number, hard: boolean): SlabPage<ItemRecord>[] {
    const chosen: SlabPage<ItemRecord>[] = [];
    let bytes = 0;
    // Free memory first: pages with frames but no item cost no hit.
    const idle = [...this.pool, ...this.pagesInUse.iterateOldestFirst()].filter((page) => page.usedCount === 0 && page.touchedBytes > 0);
    const take = (page: SlabPage<ItemRecord>): void => {
      bytes += page.touchedBytes;
      if (page.state === 'class') this.leaveClass(page, this.nowMsLast);
      else this.pool.splice(this.pool.indexOf(page), 1);
      page.startReturn();
      this.pagesReturning++;
      chosen.push(page);
    };
    for (const page of idle) {
      if (bytes >= bytesWanted) return chosen;
      take(page);
    }
    if (!hard) return chosen;
    for (const page of [...this.pagesInUse.iterateOldestFirst()]) {
      if (bytes >= bytesWanted) break;
      if (page.touchedBytes > 0) take(page);
    }
    return chosen;
  }

  /**
   * Unmaps `page` (its frames go back to the VM) and maps it fresh; resolves with the bytes of frames
   * it held. The page stays listed under its old address meanwhile, in state 'returning', which no
   * store call takes.
   */
  private async returnPage(page: SlabPage<ItemRecord>): Promise<number> {
    const at = page.address;
    const bytes = page.touchedBytes;
    try {
      await this.vm.munmap(at, slabPageBytes);
    } catch {
      this.pagesReturning--;
      page.returnAborted();
      this.pool.push(page);
      return 0;
    }
    this.pagesReturned++;
    const address = await this.vm
      .mmap(slabPageBytes, { at, huge: false })
      // Another mapping took the address meanwhile: anywhere else will do, pages need not be neighbours.
      .catch(() => this.vm.mmap(slabPageBytes, { huge: false }))
      .catch(() => undefined);
    this.pagesReturning--;
    this.pagesByAddress.delete(at);
    if (address === undefined) {
      this.pagesLost++;
    } else if (this.closed) {
      // The store closed meanwhile: the fresh page goes too. Should that fail, the page is lost as
      // one that found no address is, not an error out of the shrinker.
      await this.vm.munmap(address, slabPageBytes).catch(() => {
        this.pagesLost++;
      });
    } else {
      page.mappedFresh(address);
      this.pagesByAddress.set(address, page);
      this.pool.push(page);
    }
    return bytes;
  }
}
