/**
 * A multi-producer single-consumer ring of variable-length byte frames (the layout and frame format
 * of layout.ts; the claim-then-commit design of Aeron's many-to-one ring buffer).
 *
 * Design.
 * 1. Claim: a producer reads `tail` and `head`, and claims `[tail, tail + bytes)` with one
 *    `Atomics.compareExchange` on `tail`. Once the CAS succeeds that span is its own: no other
 *    producer can claim it, and the consumer will not read past its first word until it is
 *    committed. A frame that would straddle the end claims the rest of the region as padding too.
 * 2. Write: the producer fills the payload with plain stores.
 * 3. Commit: it publishes the frame with one `Atomics.store` of the frame word
 *    (`frameCommittedBit | length`). Claims and commits may finish out of order between producers.
 * 4. Consume: the consumer `Atomics.load`s the word at `head`. Zero means "claimed but not
 *    committed yet, or not claimed": it waits there, so frames leave in claim order and the consumer
 *    never reads a half-written frame: the word turns non-zero only after every payload byte was
 *    written (store-release of the word, load-acquire by the consumer).
 * 5. Release: for "zero means not yet" to hold a lap later, the consumer zeroes every byte it gives
 *    back, then `Atomics.store`s `head`. Invariant: every data byte outside `[head, tail)` is zero.
 *
 * Caveats.
 * - Not lock-free for the consumer: a producer descheduled between claim and commit holds back
 *   every later frame (for up to a time slice; docs/measured-limits.md §3e). A
 *   producer that dies there wedges the ring for good: treat the ring as lost and rebuild it.
 * - Indices wrap modulo 2^30 (layout.ts): a producer that stalls between its tail load and its CAS
 *   while 1 GiB passes through the ring could succeed on a recycled tail value (ABA). At 1 GB/s
 *   that is a 1 s stall in the middle of a claim.
 * - Producers read the shared `head` on every claim instead of caching it: a cache held by a
 *   producer that went quiet could be more than 2^30 bytes stale and then look valid again.
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { RingFrameTooLargeError } from './errors.js';
import { copyInto, type RingFrameHandler, type RingFrameView } from './frame-view.js';
import { frameBytesFor, frameCommittedBit, frameLengthMask, frameWordFor, headWord, ringIndexMask, ringKind, tailWord } from './layout.js';
import { allocateRing, mapRing, type RingCreateOptions } from './ring-memory.js';

/**
 * An MPSC frame ring. Every producer thread attaches its own instance (`MpscRing.attach(buffer)`)
 * and uses `offer`, `offerBatch`, or `tryReserve` + `commit`/`abort`; the one consumer uses `poll`,
 * `readView` + `release`, `drain` and `hasData`. A commit is visible at once: there is no `publish`.
 *
 * @example
 * ```ts
 * const inbox = MpscRing.create(256 * 1024);                       // consumer side
 * workers.forEach((w) => w.postMessage({ inbox: inbox.buffer }));
 * // in each producer worker:
 * const ring = MpscRing.attach(data.inbox);
 * if (ring.offer(frame)) wakeIfParked(ring.header);
 * ```
 */
export class MpscRing {
  readonly buffer: ArrayBufferLike;
  readonly capacityBytes: number;
  readonly frameLengthMax: number;
  readonly header: Int32Array;
  readonly bytes: Uint8Array;
  /** producer: claims of this instance that lost a CAS race and retried (contention gauge). */
  casFailureCount = 0;
  private readonly words: Int32Array;
  private readonly mask: number;

  // Producer state of this instance's current reservation.
  private reservedAt = 0;
  private reservedLength = 0;
  private reserved = false;

  // Consumer state: `head` is the next unread byte, `releasedHead` what was zeroed and stored.
  private head: number;
  private releasedHead: number;
  private frameEnd = 0;
  private frameLength = 0;
  private viewing = false;
  private readonly view: RingFrameView;

  /** Allocates and initialises a ring of `capacityBytes` (a power of two, 64 B to 512 MiB). */
  static create(capacityBytes: number, options: RingCreateOptions = {}): MpscRing {
    return new MpscRing(allocateRing(ringKind.mpsc, capacityBytes, options));
  }

  /** Attaches to a ring created by `MpscRing.create` (usually in another thread). */
  static attach(buffer: ArrayBufferLike): MpscRing {
    return new MpscRing(buffer);
  }

  private constructor(buffer: ArrayBufferLike) {
    const memory = mapRing(buffer, ringKind.mpsc);
    const capacityBytes = memory.capacityBytes;
    // Copied into own fields: the hot paths read them without an extra indirection.
    this.buffer = memory.buffer;
    this.capacityBytes = capacityBytes;
    this.frameLengthMax = memory.frameLengthMax;
    this.header = memory.header;
    this.bytes = memory.bytes;
    this.words = memory.words;
    this.mask = memory.mask;
    // Acquire: a consumer attaching late starts from the head (and zeroed space) last published.
    this.head = Atomics.load(this.header, headWord);
    this.releasedHead = this.head;
    this.view = { bytes: this.bytes, offset: 0, length: 0 };
    assert((this.head & ~ringIndexMask) === 0 && (this.head & 3) === 0, 'corrupt ring header: head out of range or unaligned');
  }

  // ------------------------------------------------------------------------------------------
  // Producer

  /** producer: copies `frame` into the ring and commits it; false when it lacks the space now. */
  offer(frame: Uint8Array): boolean {
    const length = frame.length;
    const offset = this.tryReserve(length);
    if (offset < 0) return false;
    copyInto(this.bytes, this.words, offset, frame, 0, length);
    this.commit(length);
    return true;
  }

  /**
   * producer: claims one span for as many of `frames` as fit contiguously (one CAS), copies them,
   * and commits them with one atomic store. Returns how many were taken; offer the rest again.
   */
  offerBatch(frames: readonly Uint8Array[]): number {
    if (frames.length === 0) return 0;
    assert(!this.reserved, 'offerBatch: commit() or abort() the current reservation first');
    const capacityBytes = this.capacityBytes;
    const first = frameBytesFor(this.checkedLength(frames[0]!.length));
    for (;;) {
      const tail = Atomics.load(this.header, tailWord); // proposal only: the CAS re-validates it
      // Acquire: the consumer zeroed, and stopped reading, everything below the head it stored.
      const usedBytes = (tail - Atomics.load(this.header, headWord)) & ringIndexMask;
      if (usedBytes > capacityBytes) continue; // our tail is older than that head: another claim happened
      const position = tail & this.mask;
      const paddingBytes = first <= capacityBytes - position ? 0 : capacityBytes - position;
      const roomBytes = Math.min(capacityBytes - usedBytes - paddingBytes, paddingBytes === 0 ? capacityBytes - position : capacityBytes);
      let runBytes = 0;
      let count = 0;
      while (count < frames.length) {
        const length = frames[count]!.length;
        if (length > this.frameLengthMax) break; // offered (and refused) on its own next time
        const frameBytes = frameBytesFor(length);
        if (runBytes + frameBytes > roomBytes) break;
        runBytes += frameBytes;
        count++;
      }
      if (count === 0) return 0;
      // The claim of the whole run, as in tryReserve(): success makes the span ours alone.
      if (Atomics.compareExchange(this.header, tailWord, tail, (tail + paddingBytes + runBytes) & ringIndexMask) !== tail) {
        this.casFailureCount++;
        continue;
      }
      // The consumer may already be waiting on the padding word: store it atomically.
      if (paddingBytes !== 0) Atomics.store(this.words, position >> 2, -paddingBytes);
      this.writeRun(frames, count, (tail + paddingBytes) & this.mask);
      return count;
    }
  }

  /**
   * producer: claims room for a frame of up to `length` payload bytes and returns where the payload
   * goes in `bytes`, or -1 when the ring lacks the space now. Then `commit(actualLength)` (which
   * publishes) or `abort()`. Until then, this claim holds back the consumer: keep it short.
   */
  tryReserve(length: number): number {
    assert(!this.reserved, 'tryReserve: commit() or abort() the previous reservation first');
    const frameBytes = frameBytesFor(this.checkedLength(length));
    const capacityBytes = this.capacityBytes;
    for (;;) {
      const tail = Atomics.load(this.header, tailWord); // proposal only: the CAS re-validates it
      // Acquire: as in offerBatch, the space below head + capacity is zeroed and unread.
      const usedBytes = (tail - Atomics.load(this.header, headWord)) & ringIndexMask;
      if (usedBytes > capacityBytes) continue;
      const position = tail & this.mask;
      const paddingBytes = frameBytes <= capacityBytes - position ? 0 : capacityBytes - position;
      if (capacityBytes - usedBytes < paddingBytes + frameBytes) return -1;
      // The claim: success means nobody else claimed since our load, so the span is ours alone.
      if (Atomics.compareExchange(this.header, tailWord, tail, (tail + paddingBytes + frameBytes) & ringIndexMask) !== tail) {
        this.casFailureCount++;
        continue;
      }
      if (paddingBytes !== 0) Atomics.store(this.words, position >> 2, -paddingBytes);
      this.reservedAt = (tail + paddingBytes) & ringIndexMask;
      this.reservedLength = length;
      this.reserved = true;
      return (this.reservedAt & this.mask) + 4;
    }
  }

  /** producer: commits the reserved frame with `length` payload bytes (at most those reserved). */
  commit(length: number = this.reservedLength): void {
    assert(this.reserved, 'commit: nothing is reserved');
    if (!(length >= 0 && length <= this.reservedLength)) invariantBroken(`commit: ${length} bytes exceed the ${this.reservedLength} reserved`);
    const position = this.reservedAt & this.mask;
    const unusedBytes = frameBytesFor(this.reservedLength) - frameBytesFor(length);
    // The unused end of the claim becomes padding, stored before the frame word that leads to it.
    if (unusedBytes > 0) Atomics.store(this.words, (position + frameBytesFor(length)) >> 2, -unusedBytes);
    this.reserved = false;
    // Release: publishes the payload written into the claim since tryReserve().
    Atomics.store(this.words, position >> 2, frameWordFor(length));
  }

  /** producer: gives up the reservation; its claimed span becomes padding the consumer skips. */
  abort(): void {
    assert(this.reserved, 'abort: nothing is reserved');
    this.reserved = false;
    // Release, like a commit: the consumer may be waiting on this word, and skips the span once set.
    Atomics.store(this.words, (this.reservedAt & this.mask) >> 2, -frameBytesFor(this.reservedLength));
  }

  private checkedLength(length: number): number {
    if (length > this.frameLengthMax) throw new RingFrameTooLargeError(length, this.frameLengthMax);
    if (!((length | 0) === length && length >= 0)) invariantBroken(`bad frame length ${length}`);
    return length;
  }

  /** Copies a claimed run of `count` frames starting at `position`, then commits it. */
  private writeRun(frames: readonly Uint8Array[], count: number, position: number): void {
    let at = position;
    for (let i = 0; i < count; i++) {
      const frame = frames[i]!;
      copyInto(this.bytes, this.words, at + 4, frame, 0, frame.length);
      // Plain stores for all words but the first: the consumer reads the frames of a run in order,
      // so it reaches frame i > 0 only after acquiring the first word stored below.
      if (i > 0) this.words[at >> 2] = frameWordFor(frame.length);
      at += frameBytesFor(frame.length);
    }
    // Release: publishes every payload and word of the run.
    Atomics.store(this.words, position >> 2, frameWordFor(frames[0]!.length));
  }

  // ------------------------------------------------------------------------------------------
  // Consumer

  /** consumer: true when the word at `head` is committed (a frame or padding). */
  hasData(): boolean {
    // Acquire (and, in park(), the load half of the flag/word Dekker pair; see wake.ts).
    return Atomics.load(this.words, (this.head & this.mask) >> 2) !== 0;
  }

  /** consumer: removes the oldest committed frame and returns a copy of it, or null. */
  poll(): Uint8Array | null {
    assert(!this.viewing, 'poll: release() the current view first');
    const offset = this.nextFrame();
    if (offset < 0) {
      this.releaseSkipped();
      return null;
    }
    const copy = this.bytes.slice(offset, offset + this.frameLength);
    this.head = this.frameEnd;
    this.releaseTo(this.head);
    return copy;
  }

  /** consumer: a zero-copy view of the oldest committed frame (until `release()`), or null. */
  readView(): RingFrameView | null {
    assert(!this.viewing, 'readView: release() the current view first');
    const offset = this.nextFrame();
    if (offset < 0) {
      this.releaseSkipped();
      return null;
    }
    this.viewing = true;
    this.view.offset = offset;
    this.view.length = this.frameLength;
    return this.view;
  }

  /** consumer: zeroes the viewed frame's space and gives it back to the producers. */
  release(): void {
    assert(this.viewing, 'release: no frame is being viewed');
    this.viewing = false;
    this.head = this.frameEnd;
    this.releaseTo(this.head);
  }

  /**
   * consumer: hands up to `max` committed frames to `handler` in order, then zeroes and frees all
   * their space at once. A frame whose handler throws counts as consumed. Returns the count.
   */
  drain(handler: RingFrameHandler, max: number): number {
    assert(!this.viewing, 'drain: release() the current view first');
    if (!(max >= 1)) invariantBroken(`drain: max must be at least 1, got ${max}`);
    let count = 0;
    try {
      while (count < max) {
        const offset = this.nextFrame();
        if (offset < 0) break;
        this.head = this.frameEnd;
        count++;
        handler(this.bytes, offset, this.frameLength);
      }
    } finally {
      if (this.head !== this.releasedHead) this.releaseTo(this.head);
    }
    return count;
  }

  /**
   * Finds the committed frame at or after `head`, skipping padding (which moves `head`); returns
   * its payload offset and sets `frameEnd`/`frameLength`, or -1 if the next word is uncommitted.
   */
  private nextFrame(): number {
    const capacityBytes = this.capacityBytes;
    // Bounded: producers cannot claim past releasedHead + capacity, so at most one lap of padding.
    while (((this.head - this.releasedHead) & ringIndexMask) < capacityBytes) {
      const position = this.head & this.mask;
      // Acquire: a non-zero word was stored after every byte of its frame (or padding) was written.
      const word = Atomics.load(this.words, position >> 2);
      if (word === 0) return -1;
      if (word > 0) {
        const length = word & frameLengthMask;
        const frameBytes = frameBytesFor(length);
        if (!((word & frameCommittedBit) !== 0 && length <= this.frameLengthMax && position + frameBytes <= capacityBytes))
          invariantBroken(`corrupt ring: frame word ${word} at ${position}`);
        this.frameEnd = (this.head + frameBytes) & ringIndexMask;
        this.frameLength = length;
        return position + 4;
      }
      if (!((word & 3) === 0 && position - word <= capacityBytes)) invariantBroken(`corrupt ring: padding word ${word} at ${position}`);
      this.head = (this.head - word) & ringIndexMask;
    }
    return -1;
  }

  /** Frees padding that nextFrame() skipped before finding nothing, so producers can reuse it. */
  private releaseSkipped(): void {
    if (this.head !== this.releasedHead) this.releaseTo(this.head);
  }

  /** Zeroes `[releasedHead, to)` (at most two runs, across the end) and publishes `head = to`. */
  private releaseTo(to: number): void {
    const spanBytes = (to - this.releasedHead) & ringIndexMask;
    if (!(spanBytes > 0 && spanBytes <= this.capacityBytes)) invariantBroken(`release of ${spanBytes} bytes`);
    const start = this.releasedHead & this.mask;
    const firstBytes = Math.min(spanBytes, this.capacityBytes - start);
    // Plain stores: no producer touches this span until it sees the head stored below.
    this.words.fill(0, start >> 2, (start + firstBytes) >> 2);
    if (firstBytes < spanBytes) this.words.fill(0, 0, (spanBytes - firstBytes) >> 2);
    this.releasedHead = to;
    // Release: our reads of the span and its zeroing happen-before any producer's new claim of it.
    Atomics.store(this.header, headWord, to);
  }
}
