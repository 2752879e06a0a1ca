/**
 * memcached's exptimes, in seconds, as times on the kernel's clock, in ms. memcached reads an
 * exptime as relative seconds up to 30 days and as a unix time above; negative means already
 * expired (its EXPTIME_TO_POSITIVE_TIME turns it into a unix time in 1970). The kernel's clock is
 * not unix time, so the caller says what unix time it is now (`unixNowS`).
 */
import { relativeExptimeSMax } from '../../protocols/memcached/limits.js';

/**
 * When an item given `exptimeS` expires, in kernel ms: 0 never, null already (at or before now).
 *
 * @example
 * ```ts
 * expiryMs(0, 5_000, 1_700_000_000); // 0: never
 * expiryMs(10, 5_000, 1_700_000_000); // 15_000
 * expiryMs(1_700_000_060, 5_000, 1_700_000_000); // 65_000: a unix time a minute ahead
 * expiryMs(-1, 5_000, 1_700_000_000); // null: expired already
 * ```
 */
export function expiryMs(exptimeS: number, nowMs: number, unixNowS: number): number | null {
  if (exptimeS === 0) return 0;
  if (exptimeS < 0) return null;
  const fromNowS = exptimeS > relativeExptimeSMax ? exptimeS - unixNowS : exptimeS;
  return fromNowS <= 0 ? null : nowMs + fromNowS * 1_000;
}

/** Seconds an item has left (memcached's `t` flag and `me`'s exp), -1 if it never expires. */
export function remainingS(exptimeMs: number, nowMs: number): number {
  return exptimeMs === 0 ? -1 : Math.max(0, Math.ceil((exptimeMs - nowMs) / 1_000));
}
