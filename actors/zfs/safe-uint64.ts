/**
 * 64-bit little-endian fields that hold JavaScript's safe integers (offsets, transaction groups,
 * counts), as two 32-bit halves: exact, and without BigInt's cost.
 */

const twoTo32 = 2 ** 32;

/** Writes `value`, a safe non-negative integer, at `at`. */
export function setSafeUint64(view: DataView, at: number, value: number): void {
  view.setUint32(at, value >>> 0, true);
  view.setUint32(at + 4, Math.floor(value / twoTo32), true);
}

/** The field at `at`, or null when it is past 2^53 (no value this code writes). */
export function getSafeUint64(view: DataView, at: number): number | null {
  const value = view.getUint32(at, true) + view.getUint32(at + 4, true) * twoTo32;
  return Number.isSafeInteger(value) ? value : null;
}
