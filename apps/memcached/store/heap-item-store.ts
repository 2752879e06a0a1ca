/**
 * `HeapItemStore`: an `ItemStore` whose values live in the JavaScript heap. It is the simple
 * reference the other store is tested against, so it favours being obviously correct over being
 * fast: one Map holds the items in least-recently-used order (a use moves an item to the end by
 * deleting and re-inserting it), every item costs its key, its value and `itemOverheadBytes`
 * against the cap, and expired or flushed items are removed when they are met.
 */
import { assert } from '../../../ground/assert.js';
import { copyOfBytes } from '../../../ground/bytes.js';
import {
  type Item,
  type ItemStore,
  type ItemStoreStats,
  itemBytesMaxDefault,
  itemOverheadBytes,
  type SlabClassFigures,
  type StoreFailure,
} from './item-store.js';

export interface HeapItemStoreOptions {
  /** The cap on what items take, keys, values and overhead, in bytes (memcached's `-m`). */
  readonly limitBytes: number;
  /** The largest item, key and value together, in bytes (default 1 MiB). */
  readonly itemBytesMax?: number;
}

/** An item as this store keeps it: the item handed out, its value, and when it was stored. */
interface Entry {
  readonly item: Item;
  readonly value: Uint8Array;
  readonly storedMs: number;
}

/**
 * Items in the JavaScript heap, least recently used first.
 *
 * @example
 * ```ts
 * const store = new HeapItemStore({ limitBytes: 64 << 20 });
 * const item = store.store('k', 0, 0, new TextEncoder().encode('v'), clock.now());
 * store.get('k', clock.now()); // the item, now the most recently used
 * ```
 */
export class HeapItemStore implements ItemStore {
  readonly itemBytesMax: number;
  readonly limitBytes: number;
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  private casLast = 0;
  /** Items stored at or before this are gone once the clock reaches it (a delayed flush_all); 0: none. */
  private flushAtMs = 0;
  private itemsStored = 0;
  private evictions = 0;
  private expired = 0;

  constructor(options: HeapItemStoreOptions) {
    this.limitBytes = options.limitBytes;
    this.itemBytesMax = options.itemBytesMax ?? itemBytesMaxDefault;
    assert(Number.isInteger(this.limitBytes) && this.limitBytes > 0, 'the byte cap is a positive integer');
    assert(Number.isInteger(this.itemBytesMax) && this.itemBytesMax > 0, 'the item limit is a positive integer');
  }

  get(key: string, nowMs: number): Item | undefined {
    const entry = this.live(key, nowMs);
    if (entry === undefined) return undefined;
    const item: Item = { ...entry.item, lastAccessMs: nowMs };
    this.entries.delete(key);
    this.entries.set(key, { ...entry, item });
    return item;
  }

  peek(key: string, nowMs: number): Item | undefined {
    return this.live(key, nowMs)?.item;
  }

  store(key: string, flags: number, exptimeMs: number, value: Uint8Array, nowMs: number): Item | StoreFailure {
    if (key.length + value.byteLength > this.itemBytesMax) return 'too-large';
    const size = sizeOf(key, value);
    if (size > this.limitBytes) return 'out-of-memory';
    this.remove(key);
    // Evict from the least recently used end until the new item fits.
    for (const [oldestKey, oldest] of this.entries) {
      if (this.bytes + size <= this.limitBytes) break;
      if (this.isGone(oldest, nowMs)) this.expired++;
      else this.evictions++;
      this.remove(oldestKey);
    }
    assert(this.bytes + size <= this.limitBytes, 'eviction made room for the new item');
    const item: Item = { key, flags, exptimeMs, cas: ++this.casLast, valueBytes: value.byteLength, lastAccessMs: nowMs };
    this.entries.set(key, { item, value: copyOfBytes(value), storedMs: nowMs });
    this.bytes += size;
    this.itemsStored++;
    return item;
  }

  read(item: Item): Uint8Array {
    const entry = this.entries.get(item.key);
    assert(entry !== undefined && entry.item.cas === item.cas, 'read is given a live item');
    return copyOfBytes(entry.value);
  }

  touch(item: Item, exptimeMs: number, nowMs: number): Item {
    const entry = this.entries.get(item.key);
    assert(entry !== undefined && entry.item.cas === item.cas, 'touch is given a live item');
    const touched: Item = { ...entry.item, exptimeMs, lastAccessMs: nowMs };
    this.entries.delete(item.key);
    this.entries.set(item.key, { ...entry, item: touched });
    return touched;
  }

  delete(key: string, nowMs: number): boolean {
    return this.live(key, nowMs) !== undefined && this.remove(key);
  }

  flushAll(atMs: number, nowMs: number): void {
    if (atMs > nowMs) {
      this.flushAtMs = atMs;
      return;
    }
    // An immediate flush forgets everything now, so that what is stored next, in the same
    // millisecond, survives; it also cancels a delayed flush, as memcached's single oldest_live does.
    this.flushAtMs = 0;
    this.entries.clear();
    this.bytes = 0;
  }

  stats(): ItemStoreStats {
    return {
      items: this.entries.size,
      itemsStored: this.itemsStored,
      bytes: this.bytes,
      limitBytes: this.limitBytes,
      evictions: this.evictions,
      expired: this.expired,
    };
  }

  /** The entry under `key` unless it expired or was flushed (then it is removed). */
  private live(key: string, nowMs: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (!this.isGone(entry, nowMs)) return entry;
    this.remove(key);
    this.expired++;
    return undefined;
  }

  private isGone(entry: Entry, nowMs: number): boolean {
    const expired = entry.item.exptimeMs !== 0 && entry.item.exptimeMs <= nowMs;
    const flushed = this.flushAtMs !== 0 && this.flushAtMs <= nowMs && entry.storedMs <= this.flushAtMs;
    return expired || flushed;
  }

  private remove(key: string): boolean {
    const entry = this.entries.get(key);
    if (entry === undefined) return false;
    this.entries.delete(key);
    this.bytes -= sizeOf(key, entry.value);
    assert(this.bytes >= 0, 'the byte count never goes negative');
    return true;
  }

  /** One CPU's store: every call is one step already. */
  transact<T>(operation: (store: ItemStore) => T): T {
    return operation(this);
  }

  /** None: values live in the heap, not in slab pages. */
  slabClasses(): readonly SlabClassFigures[] {
    return [];
  }
}

function sizeOf(key: string, value: Uint8Array): number {
  return key.length + value.byteLength + itemOverheadBytes;
}
