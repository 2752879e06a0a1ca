/**
 * A reference model of the MPSC ring for the single-threaded model test: the claimed spans in
 * claim order (frames pending or committed, and padding), with unbounded indices. The consumer
 * takes committed frames in claim order, skips padding, and stops at the first pending claim.
 */
import { frameBytesFor, frameLengthMaxFor } from '../../../actors/ring/layout.js';

export interface ModelClaim {
  kind: 'frame' | 'padding';
  committed: boolean;
  readonly start: number;
  spanBytes: number;
  bytes: Uint8Array | null;
}

export class MpscModel {
  readonly frameLengthMax: number;
  private tail: number;
  /** Consumer's next unread index, and the index it last gave back (the shared head). */
  private head: number;
  private released: number;
  private readonly claims: ModelClaim[] = [];

  constructor(
    readonly capacityBytes: number,
    startIndex: number,
  ) {
    this.frameLengthMax = frameLengthMaxFor(capacityBytes);
    this.tail = startIndex;
    this.head = startIndex;
    this.released = startIndex;
  }

  /** Claims room for `lengths` as one run (offerBatch) or one frame; null when it does not fit. */
  claim(lengths: readonly number[]): ModelClaim[] | null {
    const position = this.tail % this.capacityBytes;
    const freeBytes = this.capacityBytes - (this.tail - this.released);
    const first = frameBytesFor(lengths[0]!);
    const paddingBytes = first <= this.capacityBytes - position ? 0 : this.capacityBytes - position;
    const roomBytes = Math.min(freeBytes - paddingBytes, paddingBytes === 0 ? this.capacityBytes - position : this.capacityBytes);
    let runBytes = 0;
    let count = 0;
    for (const length of lengths) {
      if (length > this.frameLengthMax || runBytes + frameBytesFor(length) > roomBytes) break;
      runBytes += frameBytesFor(length);
      count++;
    }
    if (count === 0) return null;
    if (paddingBytes > 0) this.push('padding', true, paddingBytes);
    const claims: ModelClaim[] = [];
    for (const length of lengths.slice(0, count)) claims.push(this.push('frame', false, frameBytesFor(length)));
    return claims;
  }

  /** Commits a claimed frame with `bytes` (possibly shorter than claimed: the rest is padding). */
  commit(claim: ModelClaim, bytes: Uint8Array): void {
    const frameBytes = frameBytesFor(bytes.length);
    if (frameBytes < claim.spanBytes) {
      const padding: ModelClaim = { kind: 'padding', committed: true, start: claim.start + frameBytes, spanBytes: claim.spanBytes - frameBytes, bytes: null };
      this.claims.splice(this.claims.indexOf(claim) + 1, 0, padding);
      claim.spanBytes = frameBytes;
    }
    claim.bytes = bytes;
    claim.committed = true;
  }

  abort(claim: ModelClaim): void {
    claim.kind = 'padding';
    claim.committed = true;
  }

  /**
   * The ring's nextFrame(): skips committed padding up to one lap past `released`, and returns the
   * first committed frame, or null at a pending claim or the end of the claims.
   */
  private next(): ModelClaim | null {
    while (this.head - this.released < this.capacityBytes) {
      const claim = this.claims[0];
      if (claim === undefined || !claim.committed) return null;
      if (claim.kind === 'frame') return claim;
      this.claims.shift();
      this.head += claim.spanBytes;
    }
    return null;
  }

  /** poll()/readView()+release(): one frame (released at once), or null (skipped padding released). */
  take(): Uint8Array | null {
    const claim = this.next();
    if (claim !== null) {
      this.claims.shift();
      this.head += claim.spanBytes;
    }
    this.released = this.head;
    return claim === null ? null : claim.bytes;
  }

  /** drain(max): up to `max` frames, everything released at the end. */
  drain(max: number): Uint8Array[] {
    const frames: Uint8Array[] = [];
    while (frames.length < max) {
      const claim = this.next();
      if (claim === null) break;
      this.claims.shift();
      this.head += claim.spanBytes;
      frames.push(claim.bytes!);
    }
    this.released = this.head;
    return frames;
  }

  private push(kind: ModelClaim['kind'], committed: boolean, spanBytes: number): ModelClaim {
    const claim: ModelClaim = { kind, committed, start: this.tail, spanBytes, bytes: null };
    this.claims.push(claim);
    this.tail += spanBytes;
    return claim;
  }
}
