/**
 * The wake-latency histogram's buckets: each latency lands in the log2 bucket whose bound is the
 * first power of two above it, so a percentile overstates a latency by less than 2×.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { LatencyHistogram } from '../../../actors/sched/latency-histogram.js';

describe('sched latency histogram', () => {
  it('bounds every 32-bit latency by the power of two above it, and counts what stepped back as 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (us) => {
        const histogram = new LatencyHistogram();
        histogram.recordUs(us);
        const bound = histogram.percentileUs(1);
        expect(histogram.count).to.equal(1);
        if (us <= 0) expect(bound).to.equal(1);
        else expect(bound > us && bound / 2 <= us, `${us} µs in the bucket up to ${bound}`).to.equal(true);
      }),
      { numRuns: 500 },
    );
  });

  it('answers percentiles over many latencies from the buckets', () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 99; i++) histogram.recordUs(3);
    histogram.recordUs(1_000);
    expect(histogram.percentileUs(0.5)).to.equal(4);
    expect(histogram.percentileUs(0.99)).to.equal(4);
    expect(histogram.percentileUs(1)).to.equal(1_024);
    expect(histogram.snapshot()).to.include({ count: 100, p50Us: 4, maxUs: 1_024 });
  });

  it('counts a latency known to be under 1 µs as recordUs(0) does, in the buckets a plain count gives', () => {
    fc.assert(
      fc.property(fc.array(fc.option(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { nil: undefined }), { maxLength: 200 }), (latencies) => {
        const stamped = new LatencyHistogram();
        const known = new LatencyHistogram();
        for (const us of latencies) {
          stamped.recordUs(us ?? 0);
          if (us === undefined) known.recordUnderUs();
          else known.recordUs(us);
        }
        expect(known.snapshot()).to.deep.equal(stamped.snapshot());
        // The reference: a count per bucket, bucket 0 for what is under 1 µs, up to the last used.
        const expected: number[] = [];
        for (const us of latencies) {
          const bucket = us === undefined || us <= 0 ? 0 : us.toString(2).length;
          while (expected.length <= bucket) expected.push(0);
          expected[bucket]!++;
        }
        expect(known.snapshot().buckets).to.deep.equal(expected);
        // Each percentile is the bound of the first bucket whose running count reaches its rank.
        for (const q of [0.5, 0.99, 1]) {
          const rank = Math.ceil(q * latencies.length);
          let seen = 0;
          const bucket = expected.findIndex((count) => (seen += count) >= rank);
          expect(known.percentileUs(q), `percentile ${q}`).to.equal(latencies.length === 0 ? 0 : 2 ** bucket);
        }
      }),
      { numRuns: 300 },
    );
  });
});
