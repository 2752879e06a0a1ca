/**
 * memcached's incr/decr on a stored value (do_add_delta in memcached.c), shared by `incr`, `decr`
 * and `ma`: the value must read as an unsigned 64-bit decimal (safe_strtoull), incr wraps at 2^64,
 * decr stops at 0. When the result fits the old value and no queued reply references the item,
 * memcached rewrites it in place: padded with spaces to the old length, the item's flag bits kept
 * (`inPlace`). Otherwise it stores a new item holding just the digits, with fresh flag bits. Either
 * way the item keeps its flags and expiry and gets a new cas.
 */
import { latin1Bytes, latin1Text } from '../../protocols/memcached/latin1.js';
import { cStrtoull } from '../../protocols/memcached/numbers.js';
import type { ItemHolds } from './item-holds.js';
import type { Item, ItemStore } from './store/item-store.js';

export type DeltaOutcome =
  | { readonly kind: 'not-found' }
  | { readonly kind: 'non-numeric' }
  | { readonly kind: 'cas-mismatch' }
  | { readonly kind: 'out-of-memory' }
  /** `digits` is the new value without padding, as memcached answers it. */
  | { readonly kind: 'applied'; readonly before: Item; readonly item: Item; readonly digits: string; readonly inPlace: boolean };

const u64Mask = (1n << 64n) - 1n;

/**
 * Adds `delta` to (or subtracts it from) the number under `key`. With `compareCas` (ma's `C`, not
 * 0), the item's cas must match.
 *
 * @example
 * ```ts
 * applyDelta(store, holds, 'n', true, 1n, null, clock.now()); // { kind: 'applied', digits: '43', … } when n held "42"
 * ```
 */
export function applyDelta(
  store: ItemStore,
  holds: ItemHolds,
  key: string,
  incr: boolean,
  delta: bigint,
  compareCas: bigint | null,
  nowMs: number,
): DeltaOutcome {
  // Read and store as one step: no other CPU's incr falls between them.
  return store.transact((view) => applyDeltaOnce(view, holds, key, incr, delta, compareCas, nowMs));
}

function applyDeltaOnce(store: ItemStore, holds: ItemHolds, key: string, incr: boolean, delta: bigint, compareCas: bigint | null, nowMs: number): DeltaOutcome {
  const before = store.peek(key, nowMs);
  if (before === undefined) return { kind: 'not-found' };
  if (before.valueBytes === 0) return { kind: 'non-numeric' };
  if (compareCas !== null && compareCas !== 0n && BigInt(before.cas) !== compareCas) return { kind: 'cas-mismatch' };
  const old = store.read(before);
  // memcached reads the value as a C string: its `\r\n` and whatever ends it (a NUL) stop the number.
  const text = `${latin1Text(old)}\r\n`;
  const nul = text.indexOf('\u0000');
  const current = cStrtoull(nul < 0 ? text : text.slice(0, nul));
  if (current === null) return { kind: 'non-numeric' };
  const next = incr ? (current + delta) & u64Mask : delta > current ? 0n : current - delta;
  const digits = next.toString();
  const inPlace = digits.length <= old.byteLength && !holds.isHeld(before);
  const stored = store.store(key, before.flags, before.exptimeMs, latin1Bytes(inPlace ? digits.padEnd(old.byteLength, ' ') : digits), nowMs);
  if (typeof stored === 'string') return { kind: 'out-of-memory' };
  return { kind: 'applied', before, item: stored, digits, inPlace };
}
