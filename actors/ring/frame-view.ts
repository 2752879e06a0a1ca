/**
 * Zero-copy access to one frame inside a ring's data region, shared by the SPSC and MPSC rings.
 * The bytes stay in the ring, so a decoder reads them in place; they are valid only until the
 * consumer releases the frame, after which a producer may overwrite them.
 */

/**
 * consumer: the frame returned by `readView()`. The ring reuses one view object per consumer, so
 * copy `offset` and `length` out if they must outlive the next `readView()`.
 */
export interface RingFrameView {
  /** The ring's whole data region; the payload is `bytes[offset .. offset + length)`. */
  readonly bytes: Uint8Array;
  /** Start of the payload in `bytes` (always a multiple of 4). */
  offset: number;
  /** Payload length in bytes. */
  length: number;
}

/**
 * consumer: called by `drain()` once per frame, with the payload at `bytes[offset .. offset + length)`.
 * The bytes are overwritten once `drain()` returns, so decode or copy them inside the call. An SPSC
 * ring's handler may return `false` to refuse the frame: it stays in the ring, first in line, and
 * the drain stops (backpressure to the producer).
 */
export type RingFrameHandler = (bytes: Uint8Array, offset: number, length: number) => void | boolean;

/**
 * Copies `length` bytes of `source` to `target[offset..]`. Short frames are copied by hand: the
 * per-call cost of TypedArray.prototype.set exceeds a few byte stores.
 * @internal
 */
export function copyInto(target: Uint8Array, offset: number, source: Uint8Array, length: number): void {
  if (length <= 16) {
    for (let i = 0; i < length; i++) target[offset + i] = source[i]!;
  } else {
    target.set(source, offset);
  }
}
