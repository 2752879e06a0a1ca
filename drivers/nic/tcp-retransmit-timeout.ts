/**
 * The retransmission timeout of one flow (RFC 6298): a smoothed round-trip time and its variation
 * from measured samples, doubled on each timeout up to a cap, back to the measured value once the
 * peer acknowledges something new.
 *
 * @example
 * ```ts
 * const rto = new RetransmitTimeout(200, 2_000);
 * rto.sample(12);   // a round trip took 12 ms
 * rto.currentMs;    // 50 (the floor: 12 + 4 × 6)
 * rto.backOff();    // a timeout: 100
 * ```
 */
import { assert } from '../../ground/assert.js';
import { retransmitTimeoutMsMin } from './tcp-limits.js';

/** RFC 6298's gains: the smoothed time moves 1/8 towards a sample, the variation 1/4. */
const smoothingGain = 1 / 8;
const variationGain = 1 / 4;
/** RFC 6298's K: the timeout is the smoothed time plus four variations. */
const variationsInTimeout = 4;

export class RetransmitTimeout {
  private smoothedMs: number | null = null;
  private variationMs = 0;
  private measuredMs: number;
  private backedOffMs: number;

  constructor(
    initialMs: number,
    private readonly capMs: number,
  ) {
    assert(initialMs >= retransmitTimeoutMsMin && initialMs <= capMs, 'the first timeout lies in [min, cap]');
    this.measuredMs = initialMs;
    this.backedOffMs = initialMs;
  }

  /** The timeout to arm now. */
  get currentMs(): number {
    return this.backedOffMs;
  }

  /** A round trip measured on a segment sent once (Karn: never on a retransmitted one). */
  sample(roundTripMs: number): void {
    assert(roundTripMs >= 0, 'a round trip takes no negative time');
    if (this.smoothedMs === null) {
      this.smoothedMs = roundTripMs;
      this.variationMs = roundTripMs / 2;
    } else {
      this.variationMs += variationGain * (Math.abs(this.smoothedMs - roundTripMs) - this.variationMs);
      this.smoothedMs += smoothingGain * (roundTripMs - this.smoothedMs);
    }
    this.measuredMs = clamp(this.smoothedMs + variationsInTimeout * this.variationMs, retransmitTimeoutMsMin, this.capMs);
    this.backedOffMs = this.measuredMs;
  }

  /** A timeout fired: wait twice as long next time, up to the cap. */
  backOff(): void {
    this.backedOffMs = Math.min(this.backedOffMs * 2, this.capMs);
    assert(this.backedOffMs <= this.capMs, 'the backed-off timeout stays under its cap');
  }

  /** The peer acknowledged new data: it is alive, so back to the measured timeout. */
  recover(): void {
    this.backedOffMs = this.measuredMs;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
