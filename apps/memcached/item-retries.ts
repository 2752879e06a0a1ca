/**
 * Runs one key's operation again when the item it found changed under it. With the shared store,
 * connection owners on other CPUs use the same items: between this command's `get` or `peek` and
 * its `read` or `touch`, another CPU may replace, delete or evict the item, and the store then
 * throws ItemNotLiveError rather than hand out bytes of another version (or of no item at all).
 * memcached takes an item lock around the whole command instead; here the command starts over
 * from the lookup, which sees the store as it is now, as if it had arrived a moment later. A key
 * that keeps changing is given up after `itemRetriesCountMax` attempts, and the last attempt runs
 * against a view of the store where the key is absent: the command answers as for a miss (which
 * a client cannot tell from a command that arrived just before another's delete). HeapItemStore,
 * one CPU's, never throws it.
 *
 * Each operation must make no change visible outside the store before its read or touch (counters,
 * marks, replies): run those on what it returns.
 *
 * @example
 * ```ts
 * const value = withItemRetries(store, key, (view) => {
 *   const item = view.get(key, nowMs);
 *   return item === undefined ? undefined : view.read(item);
 * });
 * ```
 */
import type { Item, ItemStore, ItemStoreStats, SlabClassFigures, StoreFailure } from './store/item-store.js';
import { ItemNotLiveError } from './store/item-not-live-error.js';
import { itemRetriesCountMax } from './limits.js';

/** Runs `operation` on `store`, again while it throws ItemNotLiveError, at last as if `key` were absent. */
export function withItemRetries<T>(store: ItemStore, key: string, operation: (view: ItemStore) => T): T {
  for (let attempt = 1; attempt < itemRetriesCountMax; attempt++) {
    try {
      return operation(store);
    } catch (error) {
      if (!(error instanceof ItemNotLiveError)) throw error;
    }
  }
  return operation(new KeyAbsent(store, key));
}

/** `store`, where lookups of `key` miss: what a command that keeps losing the race sees. */
class KeyAbsent implements ItemStore {
  readonly itemBytesMax: number;

  constructor(
    private readonly inner: ItemStore,
    private readonly key: string,
  ) {
    this.itemBytesMax = inner.itemBytesMax;
  }

  get(key: string, nowMs: number): Item | undefined {
    return key === this.key ? undefined : this.inner.get(key, nowMs);
  }

  peek(key: string, nowMs: number): Item | undefined {
    return key === this.key ? undefined : this.inner.peek(key, nowMs);
  }

  store(key: string, flags: number, exptimeMs: number, value: Uint8Array, nowMs: number): Item | StoreFailure {
    return this.inner.store(key, flags, exptimeMs, value, nowMs);
  }

  read(item: Item): Uint8Array {
    return this.inner.read(item);
  }

  touch(item: Item, exptimeMs: number, nowMs: number): Item {
    return this.inner.touch(item, exptimeMs, nowMs);
  }

  delete(key: string, nowMs: number): boolean {
    return this.inner.delete(key, nowMs);
  }

  flushAll(atMs: number, nowMs: number): void {
    this.inner.flushAll(atMs, nowMs);
  }

  stats(): ItemStoreStats {
    return this.inner.stats();
  }

  slabClasses(): readonly SlabClassFigures[] {
    return this.inner.slabClasses();
  }
}
