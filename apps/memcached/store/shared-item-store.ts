/**
 * memcached's item store with all its state in the kernel's virtual memory, usable from every CPU
 * at once, as memcached's threads share one hash table: the items' bytes in slab pages, and the
 * index (hash table, per-class LRUs, free chunks, pages, counters) beside them in a header region
 * (store-layout.ts). One store-wide spin lock in that region (memcached 1.4's cache lock) guards
 * all of it: every call runs wholly under it, copying keys and values in and out included, and
 * never waits inside it. Any CPU opens the store from its plain-number `handle`.
 *
 * - **Pages.** The whole cap (`limitBytes`, memcached's `-m`) is reserved as address space, without
 *   `populate` and without huge pages: a frame is committed only when a chunk on it is first
 *   written, so the store grows into free memory as items arrive. Each slab class takes whole 1 MiB
 *   pages from the pool as it needs them and cuts them into chunks (slab-allocator.ts).
 * - **Items.** Header, key and value go into one chunk of the smallest class that holds them; an
 *   item larger than the largest chunk (half a page) is chained across chunks of the last class.
 * - **Room.** item-table.ts: free chunk, carve, pool page, else the rebalancer or an eviction; a
 *   write that runs out of physical frames evicts and retries, then answers 'out-of-memory'.
 *   Nothing out of memory ever throws out of the store.
 * - **Reads across CPUs.** `get` and `peek` return a snapshot (`SharedItem`) with the address of its
 *   first chunk. Another CPU may replace, delete or evict the item before this one reads or
 *   touches it: `read` and `touch` then throw ItemNotLiveError (checked under the lock by address,
 *   cas and key). The commands run each key's look and change inside `transact`, one hold of the
 *   lock, so that they never meet it.
 * - **Giving back.** `shrink` (the shrinker actor's, on the CPU that made the store) gives whole
 *   pages back to the VM (page-returner.ts).
 *
 * Expiry and `flush_all` work as in HeapItemStore: an expired or flushed item is removed (and
 * counted as expired) when a call meets it or eviction reaches it; one delayed flush waits at a
 * time (memcached's `oldest_live`), and an immediate one forgets every item at once.
 *
 * @example
 * ```ts
 * const vm = ctx.subsystem(virtualMemory);
 * const store = await SharedItemStore.create(vm, { limitBytes: 64 << 20 });
 * await registerItemStoreShrinker(vm, store, (behavior) => ctx.spawn(behavior));
 * worker.tell({ type: 'serve', store: store.handle });          // on another CPU:
 * const same = SharedItemStore.open(ctx.subsystem(virtualMemory), message.store);
 * const item = same.store('user:1', 0, 0, new TextEncoder().encode('hello'), ctx.now());
 * ```
 */
import { assert } from '../../../ground/assert.js';
import { UsageError } from '../../../ground/errors.js';
import type { MemoryAccess } from '../../../actors/vm/memory-access.js';
import type { VirtualMemory } from '../../../actors/vm/virtual-memory.js';
import { abandonVmLockOf, withVmLock } from '../../../actors/vm/vm-lock.js';
import { type Item, itemBytesMaxDefault, type ItemStore, type ItemStoreStats, type SlabClassFigures, type StoreFailure } from './item-store.js';
import { ItemNotLiveError } from './item-not-live-error.js';
import { itemBytesMaxLimit, itemHeaderBytes, slabPageBytes } from './limits-slabs.js';
import { slabClassSizes, slabGeometryDefault, type SlabGeometry } from './slab-classes.js';
import { keyMatches } from './hash-index.js';
import { itemField, itemKind, kindOf, SharedItem } from './item-header.js';
import { ItemTable } from './item-table.js';
import { bucketsCountMax, bucketsCountMin, itemsPerBucketTarget, storeLimitBytesMax } from './limits-shared-store.js';
import { PageReturner } from './page-returner.js';
import { SlabAllocator } from './slab-allocator.js';
import { StoreChecker } from './store-checker.js';
import { checkStoreHeader, writeStoreHeader } from './store-header.js';
import { pageState, type SharedItemStoreHandle, StoreLayout } from './store-layout.js';
import { slabClassFiguresOf, slabStatsOf, type SharedItemStoreSlabStats } from './slab-stats.js';

/** What a shared item store is made with. */
export interface SharedItemStoreOptions {
  /** The cap on memory, in bytes (memcached's `-m`): whole 1 MiB pages, at least one. */
  readonly limitBytes: number;
  /** The largest item, key and value together, in bytes (memcached's `-I`; default 1 MiB). */
  readonly itemBytesMax?: number;
  /** The smallest chunk and the growth factor (memcached's `-n` and `-f`); defaults in limits-slabs.ts. */
  readonly geometry?: Partial<Pick<SlabGeometry, 'chunkBytesMin' | 'growthFactor'>>;
}

const textEncoder = new TextEncoder();

export class SharedItemStore implements ItemStore {
  /**
   * Reserves the cap as address space (no frames yet), maps and writes the header region, and
   * makes the store. Run it on the CPU whose shrinker will give pages back (CPU 0's reclaimer).
   *
   * @example
   * ```ts
   * const store = await SharedItemStore.create(kernel.subsystem(virtualMemory), { limitBytes: 64 << 20 });
   * ```
   */
  static async create(vm: VirtualMemory, options: SharedItemStoreOptions): Promise<SharedItemStore> {
    const { limitBytes, itemBytesMax = itemBytesMaxDefault } = options;
    const geometry = { ...slabGeometryDefault, ...options.geometry };
    const sizes = slabClassSizes(geometry);
    if (!(Number.isSafeInteger(limitBytes) && limitBytes >= slabPageBytes && limitBytes <= storeLimitBytesMax))
      throw new UsageError(`a shared item store's limitBytes is an integer from one ${slabPageBytes}-byte page to ${storeLimitBytesMax}, got ${limitBytes}`);
    if (!(Number.isSafeInteger(itemBytesMax) && itemBytesMax > 0 && itemBytesMax <= itemBytesMaxLimit))
      throw new UsageError(`itemBytesMax is a positive integer of at most ${itemBytesMaxLimit} bytes, got ${itemBytesMax}`);
    const pagesCount = Math.floor(limitBytes / slabPageBytes);
    const largestChunkBytes = sizes[sizes.length - 1]!;
    if (Math.ceil((itemHeaderBytes + itemBytesMax) / largestChunkBytes) > pagesCount * Math.floor(slabPageBytes / largestChunkBytes))
      throw new UsageError(`an item of itemBytesMax (${itemBytesMax} bytes) takes more pages than limitBytes (${limitBytes}) holds`);
    const bucketsWanted = 2 ** Math.ceil(Math.log2(Math.max(1, limitBytes / (sizes[0]! * itemsPerBucketTarget))));
    const bucketsCount = Math.min(bucketsCountMax, Math.max(bucketsCountMin, bucketsWanted));
    const headerBytes = StoreLayout.headerBytesFor(pagesCount, bucketsCount);
    // Slab pages in 4 KiB pages, backed when written; the header populated, so no structural update meets out of memory.
    const slabAddress = await vm.mmap(pagesCount * slabPageBytes, { huge: false });
    const headerAddress = await vm.mmap(headerBytes, { huge: false, populate: true }).catch(async (error: unknown) => {
      await vm.munmap(slabAddress, pagesCount * slabPageBytes);
      throw error;
    });
    const handle: SharedItemStoreHandle = {
      headerAddress,
      headerBytes,
      slabAddress,
      pagesCount,
      bucketsCount,
      limitBytes,
      itemBytesMax,
      chunkBytesMin: geometry.chunkBytesMin,
      growthFactor: geometry.growthFactor,
    };
    const store = new SharedItemStore(vm, handle, true);
    writeStoreHeader(store.memory, store.layout, store.slabs);
    // A CPU that dies holding the lock leaves the store half changed: every call fails from then on.
    store.stopWatchingCpus = vm.onCpuDown((cpu) => abandonVmLockOf(store.memory, store.lockAt, cpu));
    return store;
  }

  /**
   * The store `handle` names, on this CPU (`vm` is this CPU's). Throws StoreHandleError when the
   * handle's header is not a store's of this layout, or disagrees with the handle.
   *
   * @example
   * ```ts
   * const store = SharedItemStore.open(ctx.subsystem(virtualMemory), message.handle);
   * ```
   */
  static open(vm: VirtualMemory, handle: SharedItemStoreHandle): SharedItemStore {
    const store = new SharedItemStore(vm, handle, false);
    checkStoreHeader(store.memory, store.layout, store.slabs.chunkSizes.length);
    return store;
  }

  readonly itemBytesMax: number;
  readonly limitBytes: number;
  private readonly memory: MemoryAccess;
  private readonly layout: StoreLayout;
  private readonly slabs: SlabAllocator;
  private readonly table: ItemTable;
  private readonly returner: PageReturner;
  private readonly lockAt: number;
  private readonly returnsInFlight = new Set<Promise<number>>();
  private keyScratch = new Uint8Array(256 * 3);
  private closed = false;
  /** Inside `transact`: this CPU holds the lock, and the calls take it no more. */
  private transacting = false;
  private stopWatchingCpus: () => void = () => undefined;

  private constructor(
    private readonly vm: VirtualMemory,
    readonly handle: SharedItemStoreHandle,
    /** Made on this CPU: the one that shrinks and closes it. */
    private readonly owner: boolean,
  ) {
    this.memory = vm.memory;
    this.layout = new StoreLayout(handle);
    this.limitBytes = handle.limitBytes;
    this.itemBytesMax = handle.itemBytesMax;
    this.lockAt = this.layout.globalAt('lock');
    this.slabs = new SlabAllocator(
      this.memory,
      this.layout,
      slabClassSizes({ ...slabGeometryDefault, chunkBytesMin: handle.chunkBytesMin, growthFactor: handle.growthFactor }),
    );
    this.table = new ItemTable(this.memory, this.layout, this.slabs);
    this.returner = new PageReturner(vm, this.slabs, this.table, (section) => this.locked(section));
  }

  get(key: string, nowMs: number): Item | undefined {
    const keyBytes = this.encodeKey(key);
    return this.locked(() => {
      const chunk = this.table.liveChunk(keyBytes, nowMs);
      if (chunk < 0) return undefined;
      this.table.markUsed(chunk, nowMs);
      return this.snapshot(key, chunk);
    });
  }

  peek(key: string, nowMs: number): Item | undefined {
    const keyBytes = this.encodeKey(key);
    return this.locked(() => {
      const chunk = this.table.liveChunk(keyBytes, nowMs);
      return chunk < 0 ? undefined : this.snapshot(key, chunk);
    });
  }

  store(key: string, flags: number, exptimeMs: number, value: Uint8Array, nowMs: number): Item | StoreFailure {
    const keyBytes = this.encodeKey(key);
    if (keyBytes.length + value.length > this.itemBytesMax) return 'too-large';
    return this.locked(() => {
      const stored = this.table.store(keyBytes, flags, exptimeMs, value, nowMs);
      return typeof stored === 'string' ? stored : this.snapshot(key, stored);
    });
  }

  read(item: Item): Uint8Array {
    const keyBytes = this.encodeKey(item.key);
    return this.locked(() => this.table.readValue(this.liveChunkOf(item, keyBytes)));
  }

  touch(item: Item, exptimeMs: number, nowMs: number): Item {
    const keyBytes = this.encodeKey(item.key);
    return this.locked(() => {
      const chunk = this.liveChunkOf(item, keyBytes);
      this.table.setExptime(chunk, exptimeMs);
      this.table.markUsed(chunk, nowMs);
      return this.snapshot(item.key, chunk);
    });
  }

  delete(key: string, nowMs: number): boolean {
    const keyBytes = this.encodeKey(key);
    return this.locked(() => {
      const chunk = this.table.liveChunk(keyBytes, nowMs);
      if (chunk >= 0) this.table.unlink(chunk);
      return chunk >= 0;
    });
  }

  flushAll(atMs: number, nowMs: number): void {
    this.locked(() => {
      this.table.noteNow(nowMs);
      if (atMs > nowMs) {
        this.table.setGlobal('flushAtMs', atMs);
        return;
      }
      // An immediate flush forgets everything now, so that what is stored next, in the same
      // millisecond, survives; it also cancels a delayed flush, as memcached's single oldest_live does.
      this.table.setGlobal('flushAtMs', 0);
      this.table.unlinkAll();
    });
  }

  /** The whole store's figures, whichever CPU asks. */
  stats(): ItemStoreStats {
    return this.locked(() => ({
      items: this.table.global('items'),
      itemsStored: this.table.global('itemsStored'),
      bytes: this.table.global('bytes'),
      limitBytes: this.limitBytes,
      evictions: this.table.global('evictions'),
      expired: this.table.global('expired'),
    }));
  }

  /**
   * Runs `operation` with the lock held throughout: the calls it makes on the store are one step
   * to every other CPU (memcached holds an item's lock across a command the same way).
   *
   * @example
   * ```ts
   * const joined = store.transact((view) => {
   *   const before = view.peek('k', nowMs);
   *   return before === undefined ? 'absent' : view.store('k', before.flags, 0, concatenated(view.read(before), more, true), nowMs);
   * });
   * ```
   */
  transact<T>(operation: (store: ItemStore) => T): T {
    if (this.transacting) return operation(this);
    return this.locked(() => {
      this.transacting = true;
      try {
        return operation(this);
      } finally {
        this.transacting = false;
      }
    });
  }

  /** The classes holding pages, as memcached's `stats slabs` and `stats items` show them. */
  slabClasses(): readonly SlabClassFigures[] {
    return this.locked(() => slabClassFiguresOf(this.table));
  }

  /** The slab allocator's figures: pages, classes, and what the shrinker gave back. */
  slabStats(): SharedItemStoreSlabStats {
    return this.locked(() => slabStatsOf(this.table));
  }

  /**
   * Walks every structure under the lock and throws InvariantError at the first disagreement
   * (store-checker.ts). For tests: it reads the whole header region.
   *
   * @example
   * ```ts
   * store.check();
   * ```
   */
  check(): void {
    this.locked(() => new StoreChecker(this.table).check());
  }

  /**
   * Gives whole pages back to the VM until their frames make `bytesWanted`, or nothing is left to
   * give: pages holding no item first, then, if `hard`, the least recently used pages, their items
   * evicted. Resolves with the bytes of frames freed. What the shrinker actor calls (shrinker.ts),
   * on the CPU that made the store.
   *
   * @example
   * ```ts
   * const freed = await store.shrink(4 << 20, true);
   * ```
   */
  async shrink(bytesWanted: number, hard: boolean): Promise<number> {
    if (this.closed) return 0;
    if (!this.owner) throw new UsageError('a shared item store shrinks on the CPU that made it, where its shrinker is');
    const pending = this.returner.shrink(bytesWanted, hard);
    this.returnsInFlight.add(pending);
    try {
      return await pending;
    } finally {
      this.returnsInFlight.delete(pending);
    }
  }

  /**
   * Unmaps every page and the header (after any page on its way back is settled); the store takes
   * no more calls. Only on the CPU that made it, once no other CPU uses it: their calls would meet
   * unmapped memory (a SegmentationFault).
   *
   * @example
   * ```ts
   * await vm.unregisterShrinker(shrinker);
   * await store.close();
   * ```
   */
  async close(): Promise<void> {
    if (!this.owner) throw new UsageError('a shared item store is closed by the CPU that made it');
    if (this.closed) return;
    this.closed = true;
    this.stopWatchingCpus();
    await Promise.all(this.returnsInFlight);
    const mapped = withVmLock(this.memory, this.lockAt, () =>
      Array.from({ length: this.layout.pagesCount }, (_, page) => this.slabs.pageU32(page, 'state') !== pageState.lost),
    );
    // Neighbouring pages go in one unmap; a lost page is not mapped.
    for (let first = 0; first < mapped.length; first++) {
      if (!mapped[first]) continue;
      let last = first;
      while (last + 1 < mapped.length && mapped[last + 1]) last++;
      await this.vm.munmap(this.layout.pageAddress(first), (last - first + 1) * slabPageBytes);
      first = last;
    }
    await this.vm.munmap(this.handle.headerAddress, this.handle.headerBytes);
  }

  /** Runs `section` holding the store's lock; inside a `transact`, it holds it already. */
  private locked<T>(section: () => T): T {
    if (this.closed) throw new UsageError('this shared item store is closed: its pages are unmapped');
    if (this.transacting) return section();
    return withVmLock(this.memory, this.lockAt, section);
  }

  /** `key` in UTF-8, in a scratch buffer reused from call to call (valid until the next call): no allocation per call. */
  private encodeKey(key: string): Uint8Array {
    // A UTF-16 unit takes at most 3 bytes of UTF-8.
    if (this.keyScratch.length < key.length * 3) this.keyScratch = new Uint8Array(key.length * 3);
    const { written } = textEncoder.encodeInto(key, this.keyScratch);
    return this.keyScratch.subarray(0, written);
  }

  private snapshot(key: string, chunk: number): SharedItem {
    const { table } = this;
    return new SharedItem(
      key,
      table.u32(chunk, 'flags'),
      table.f64(chunk, 'exptimeMs'),
      table.f64(chunk, 'cas'),
      table.u32(chunk, 'valueBytes'),
      table.f64(chunk, 'lastAccessMs'),
      chunk,
    );
  }

  /**
   * The first chunk of `item` if it is still this store's item, else ItemNotLiveError. Checked in
   * an order that touches no memory it should not: the address lies in the slab region, on a page
   * in a class (never a returning one), at a carved chunk's start, whose kind says item; only then
   * are its cas and key read.
   */
  private liveChunkOf(item: Item, keyBytes: Uint8Array): number {
    if (!(item instanceof SharedItem) || !this.layout.holdsSlabAddress(item.address)) throw new ItemNotLiveError(item.key);
    const chunk = item.address;
    const page = this.layout.pageIndexOf(chunk);
    if (this.slabs.pageU32(page, 'state') !== pageState.inClass) throw new ItemNotLiveError(item.key);
    const slot = (chunk - this.layout.pageAddress(page)) / this.slabs.chunkSizes[this.slabs.pageU32(page, 'classIndex')]!;
    if (!(Number.isInteger(slot) && slot < this.slabs.pageU32(page, 'carvedCount'))) throw new ItemNotLiveError(item.key);
    if (kindOf(this.memory.readU32(chunk + itemField.kindAndKey)) !== itemKind.item) throw new ItemNotLiveError(item.key);
    if (this.memory.readF64(chunk + itemField.cas) !== item.cas || !keyMatches(this.memory, chunk, keyBytes)) throw new ItemNotLiveError(item.key);
    assert(this.table.u32(chunk, 'valueBytes') === item.valueBytes, 'an item of the same address and cas has the same value length');
    return chunk;
  }
}
