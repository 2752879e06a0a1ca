/**
 * Storing as the commands need it, over the store contract: an item that expires on arrival, the
 * reply line for a store's refusal, and the joined value of append and prepend.
 */
import { replyLine } from '../../protocols/memcached/replies.js';
import type { Item, ItemStore, StoreFailure } from './store/item-store.js';

/**
 * Stores `value` under `key` expiring at `exptimeMs` (null: already expired, so the item is stored
 * and forgotten at once, as memcached stores an item no later read will find).
 */
export function storeValue(store: ItemStore, key: string, flags: number, exptimeMs: number | null, value: Uint8Array, nowMs: number): Item | StoreFailure {
  const stored = store.store(key, flags, exptimeMs ?? 0, value, nowMs);
  if (exptimeMs === null && typeof stored !== 'string') store.delete(key, nowMs);
  return stored;
}

/** memcached's line for a store's refusal. */
export function storeFailureLine(failure: StoreFailure): string {
  return failure === 'too-large' ? replyLine.tooLarge : replyLine.outOfMemory;
}

/**
 * `value` after `before` (append) or before it (prepend).
 *
 * @example
 * ```ts
 * concatenated(latin1Bytes('ab'), latin1Bytes('c'), true); // bytes of 'abc'
 * ```
 */
export function concatenated(before: Uint8Array, value: Uint8Array, append: boolean): Uint8Array {
  const joined = new Uint8Array(before.byteLength + value.byteLength);
  joined.set(append ? before : value);
  joined.set(append ? value : before, append ? before.byteLength : value.byteLength);
  return joined;
}
