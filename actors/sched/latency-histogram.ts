/**
 * A wake-latency histogram: how long an actor waited between being woken and being switched in.
 * Log2 buckets of microseconds in a fixed array, so recording is O(1), allocates nothing and the
 * histogram never grows: bucket 0 holds latencies under 1 µs, bucket i ≥ 1 those in [2^(i−1), 2^i) µs,
 * the last bucket everything longer.
 *
 * @example
 * ```ts
 * const latency = new LatencyHistogram();
 * latency.recordUs(3);           // 3 µs
 * latency.percentileUs(0.99);    // 4: the upper bound of the bucket holding the 99th percentile
 * ```
 */
import type { LatencySnapshot } from '../../protocols/sched.js';
import { assert } from '../../ground/assert.js';

/** Buckets: the last one starts at 2^30 µs (about 18 minutes). */
export const latencyBucketCount = 32;
assert(32 - Math.clz32(2 ** 31 - 1) === latencyBucketCount - 1, 'the largest 32-bit latency falls in the last bucket');

export class LatencyHistogram {
  /**
   * Latencies of 1 µs or more, by bucket. Bucket 0 (under 1 µs) is kept as `count` less the others,
   * worked out when read: most wakes are hand-offs of a few hundred ns, and recording one is then
   * one increment (see `recordUnderUs`).
   */
  private readonly counts = new Float64Array(latencyBucketCount);
  /** Every latency recorded, bucket 0's included: only `recordUs` and `recordUnderUs` change it. */
  private recorded = 0;

  /** How many latencies were recorded. */
  get count(): number {
    return this.recorded;
  }

  /**
   * Adds one latency in whole µs, a 32-bit integer (negative, from a clock that stepped back, counts
   * as 0). Kept this small so V8 inlines it into a drain without spending its budget.
   */
  recordUs(us: number): void {
    // 32 − clz32 is the bit length: 1 µs → bucket 1, 2–3 µs → bucket 2, …, at most 31.
    if (us > 0) this.counts[32 - Math.clz32(us)]!++;
    this.recorded++;
  }

  /**
   * Adds one latency under 1 µs, as `recordUs(0)` does, for a caller that knows it is that short
   * from a difference of times in ms, without converting them to µs stamps.
   *
   * @example
   * ```ts
   * if (nowMs - wokenMs < 1e-3) latency.recordUnderUs();
   * else latency.recordUs((stampUs(nowMs) - stampUs(wokenMs)) | 0);
   * ```
   */
  recordUnderUs(): void {
    this.recorded++;
  }

  /** How many latencies fell in `bucket`. */
  private countIn(bucket: number): number {
    if (bucket > 0) return this.counts[bucket]!;
    let longer = 0;
    for (let other = 1; other < latencyBucketCount; other++) longer += this.counts[other]!;
    return this.recorded - longer;
  }

  /** Upper bound, in µs, of the bucket that holds quantile `q` (0 < q ≤ 1); 0 when empty. */
  percentileUs(q: number): number {
    assert(q > 0 && q <= 1, 'a quantile is in (0, 1]');
    if (this.count === 0) return 0;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let bucket = 0; bucket < latencyBucketCount; bucket++) {
      seen += this.countIn(bucket);
      if (seen >= rank) return 2 ** bucket;
    }
    assert(false, 'the buckets hold every recorded latency');
  }

  snapshot(): LatencySnapshot {
    let last = latencyBucketCount - 1;
    while (last >= 0 && this.countIn(last) === 0) last--;
    return {
      count: this.count,
      p50Us: this.percentileUs(0.5),
      p99Us: this.percentileUs(0.99),
      maxUs: this.percentileUs(1),
      buckets: Array.from({ length: last + 1 }, (_, bucket) => this.countIn(bucket)),
    };
  }
}
