/**
 * An item as the VM item store keeps it: the contract's fields, which callers read, and the store's
 * own bookkeeping, which they do not see through the `Item` type: where its bytes lie (the chunks,
 * in order), its class, its links in its class's LRU, and whether it is still live. The value's
 * bytes are not here: they live in the VM, in its chunks.
 *
 * @example
 * ```ts
 * const record = new ItemRecord('user:1', 0, 0, 1, 5, 6, nowMs, classIndex, [chunk]);
 * record.footprintBytes; // 56 + 6 + 5: what `stats().bytes` counts and what its chunks hold
 * ```
 */
import type { Item } from './item-store.js';
import type { LruNode } from './lru-list.js';
import { itemHeaderBytes } from './limits-slabs.js';

export class ItemRecord implements Item, LruNode<ItemRecord> {
  lastAccessMs: number;
  /** Still the store's item under its key: false once replaced, deleted, expired, flushed or evicted. */
  live = true;
  newer: ItemRecord | undefined = undefined;
  older: ItemRecord | undefined = undefined;

  constructor(
    readonly key: string,
    readonly flags: number,
    public exptimeMs: number,
    readonly cas: number,
    readonly valueBytes: number,
    /** Bytes of the key in UTF-8, as its chunk holds it. */
    readonly keyBytes: number,
    /** When it was stored, in ms: what `flush_all` compares. */
    readonly storedMs: number,
    readonly classIndex: number,
    /** Its chunks, in order: one, or several of the largest class for an item larger than a chunk. */
    readonly chunks: readonly number[],
  ) {
    this.lastAccessMs = storedMs;
  }

  /** Bytes it takes: header, key and value, as its chunks hold them one after the other. */
  get footprintBytes(): number {
    return itemHeaderBytes + this.keyBytes + this.valueBytes;
  }

  /** Whether it has expired at `nowMs` (an `exptimeMs` of 0 never does). */
  expiredAt(nowMs: number): boolean {
    return this.exptimeMs !== 0 && this.exptimeMs <= nowMs;
  }
}
