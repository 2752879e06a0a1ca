/**
 * memcached's incr/decr on a stored value (do_add_delta in memcached.c), shared by `incr`, `decr`
 * and `ma`: the value must read as an unsigned 64-bit decimal (safe_strtoull), incr wraps at 2^64,
 * decr stops at 0. A result shorter than the old value is padded with spaces to its length, as
 * memcached's in-place update leaves it; the item keeps its flags and expiry and gets a new cas.
 */
import { latin1Bytes, latin1Text } from '../../protocols/memcached/latin1.js';
import { cStrtoull } from '../../protocols/memcached/numbers.js';
import type { Item, ItemStore } from './item-store.js';

export type DeltaOutcome =
  | { readonly kind: 'not-found' }
  | { readonly kind: 'non-numeric' }
  | { readonly kind: 'cas-mismatch' }
  | { readonly kind: 'out-of-memory' }
  /** `digits` is the new value without padding, as memcached answers it. */
  | { readonly kind: 'applied'; readonly before: Item; readonly item: Item; readonly digits: string };

const u64Mask = (1n << 64n) - 1n;

/**
 * Adds `delta` to (or subtracts it from) the number under `key`. With `compareCas` (ma's `C`, not
 * 0), the item's cas must match.
 *
 * @example
 * ```ts
 * applyDelta(store, 'n', true, 1n, null, clock.now()); // { kind: 'applied', digits: '43', … } when n held "42"
 * ```
 */
export function applyDelta(store: ItemStore, key: string, incr: boolean, delta: bigint, compareCas: bigint | null, nowMs: number): DeltaOutcome {
  const before = store.peek(key, nowMs);
  if (before === undefined) return { kind: 'not-found' };
  if (before.valueBytes === 0) return { kind: 'non-numeric' };
  if (compareCas !== null && compareCas !== 0n && BigInt(before.cas) !== compareCas) return { kind: 'cas-mismatch' };
  const old = store.read(before);
  const current = cStrtoull(latin1Text(old));
  if (current === null) return { kind: 'non-numeric' };
  const next = incr ? (current + delta) & u64Mask : delta > current ? 0n : current - delta;
  const digits = next.toString();
  const stored = store.store(key, before.flags, before.exptimeMs, latin1Bytes(digits.padEnd(old.byteLength, ' ')), nowMs);
  if (typeof stored === 'string') return { kind: 'out-of-memory' };
  return { kind: 'applied', before, item: stored, digits };
}
