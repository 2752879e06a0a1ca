/**
 * The contract between memcached's commands and where its items live. The commands (execute.ts)
 * decide what each request means (add only when absent, cas only when the unique matches, append to
 * what is there); a store only keeps items, bounded by bytes, forgetting the least recently used
 * when it needs room and the expired when it meets them.
 *
 * Two stores keep this contract: `HeapItemStore` (values in the JavaScript heap: the simple
 * reference the model-based tests compare against) and `SharedItemStore` (everything in the VM's memory,
 * in slab pages like memcached's, a shrinker the VM asks for memory back).
 *
 * Times are milliseconds on the kernel's clock; an `exptimeMs` of 0 never expires.
 *
 * @example
 * ```ts
 * const stored = store.store('user:1', 0, 0, bytes, clock.now());
 * if (typeof stored === 'string') reply(stored === 'too-large' ? 'SERVER_ERROR object too large for cache' : 'SERVER_ERROR out of memory storing object');
 * const item = store.get('user:1', clock.now()); // { key, flags, exptimeMs, cas, valueBytes }
 * const value = item === undefined ? null : store.read(item);
 * ```
 */

/** An item as a store holds it. Its fields are the store's: read them, never write them. */
export interface Item {
  readonly key: string;
  /** The client's 32-bit flags, opaque to the server. */
  readonly flags: number;
  /** When it expires on the kernel's clock, in ms; 0: never. */
  readonly exptimeMs: number;
  /** Its unique (memcached's CAS value): a new one, larger than any before, at each store. */
  readonly cas: number;
  readonly valueBytes: number;
  /** When it was last stored, read or touched, in ms. */
  readonly lastAccessMs: number;
}

/** Why a store refused an item. */
export type StoreFailure =
  /** Key and value together exceed `itemBytesMax`: memcached's `SERVER_ERROR object too large for cache`. */
  | 'too-large'
  /** No room even after evicting everything evictable: `SERVER_ERROR out of memory storing object`. */
  | 'out-of-memory';

/** A store's figures, as memcached's `stats` reports them. */
export interface ItemStoreStats {
  /** Items held now (`curr_items`). */
  readonly items: number;
  /** Items stored since start (`total_items`). */
  readonly itemsStored: number;
  /** Bytes the items take now, keys, values and per-item overhead (`bytes`). */
  readonly bytes: number;
  /** The cap on memory, in bytes (`limit_maxbytes`, memcached's `-m`). */
  readonly limitBytes: number;
  /** Items forgotten to make room (`evictions`). */
  readonly evictions: number;
  /** Items found expired and removed (`expired_unfetched` and `reclaimed` together). */
  readonly expired: number;
}

/**
 * One slab class that holds pages, as memcached's `stats slabs` and `stats items` report it. A
 * store without slabs (HeapItemStore) has none.
 */
export interface SlabClassFigures {
  /** memcached's class id: 1 for the smallest chunk. */
  readonly id: number;
  readonly chunkBytes: number;
  readonly chunksPerPage: number;
  readonly pages: number;
  /** Chunks holding items (`used_chunks`). */
  readonly usedChunks: number;
  /** Chunks freed and on the class's free list (`free_chunks`). */
  readonly freeChunks: number;
  /** Chunks of the page being cut that were never handed out (`free_chunks_end`). */
  readonly uncarvedChunks: number;
  readonly items: number;
  /** When the class's least recently used item was last used, in ms (its `age` counts from it); null: no item. */
  readonly oldestAccessMs: number | null;
}

export interface ItemStore {
  /** The largest item, key and value together, in bytes (memcached's `-I`, default 1 MiB). */
  readonly itemBytesMax: number;
  /** The live item under `key` at `nowMs` (an expired one is removed), marked recently used; or undefined. */
  get(key: string, nowMs: number): Item | undefined;
  /** The same without marking it used (for `stats` and tests). */
  peek(key: string, nowMs: number): Item | undefined;
  /**
   * Stores `value` under `key`, replacing any item there, evicting least recently used items when
   * it needs room. Returns the new item, with a new `cas`, or why it could not.
   */
  store(key: string, flags: number, exptimeMs: number, value: Uint8Array, nowMs: number): Item | StoreFailure;
  /** The value of `item`, a copy the caller owns. `item` must be live (just returned by get or store). */
  read(item: Item): Uint8Array;
  /** Sets the expiry of `item` (live), keeping its value and its cas; returns the updated item. */
  touch(item: Item, exptimeMs: number, nowMs: number): Item;
  /** Removes the item under `key`; true if there was a live one. */
  delete(key: string, nowMs: number): boolean;
  /**
   * Invalidates every item stored at or before `atMs` (memcached's `flush_all [delay]`: items are
   * gone from `atMs` on, including items stored between now and then).
   */
  flushAll(atMs: number, nowMs: number): void;
  stats(): ItemStoreStats;
  /**
   * Runs `operation` as one step: no other CPU changes the store while it runs, so a command that
   * looks at a key and then changes it (incr, append, cas, add…) builds on what it saw. Its calls
   * on `store` must be synchronous; nothing else should run inside (it holds the store's lock).
   */
  transact<T>(operation: (store: ItemStore) => T): T;
  /** The slab classes that hold pages, smallest chunk first. */
  slabClasses(): readonly SlabClassFigures[];
}

/** memcached's default largest item, 1 MiB (`-I 1m`). */
export const itemBytesMaxDefault = 1 << 20;
/** Bytes of bookkeeping counted for each item besides its key and value (memcached's item header is about 50). */
export const itemOverheadBytes = 56;
