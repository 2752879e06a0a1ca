/**
 * A single-producer single-consumer ring of variable-length byte frames, over a SharedArrayBuffer
 * (one producer thread, one consumer thread) or a plain ArrayBuffer (both roles in one thread, as
 * the simulated CPUs do). The header layout and frame format are in layout.ts.
 *
 * Memory ordering. JS Atomics are sequentially consistent, and the JS memory model makes every
 * plain write before an `Atomics.store` visible to a thread whose `Atomics.load` reads that stored
 * value. The ring needs exactly two such hand-offs:
 * - frames: the producer writes frame words and payloads with plain stores, then publishes them all
 *   with one `Atomics.store` of `tail`; the consumer `Atomics.load`s `tail` before reading any byte
 *   below it;
 * - space: the consumer reads frames with plain loads, then gives their bytes back with one
 *   `Atomics.store` of `head`; the producer `Atomics.load`s `head` before overwriting any byte
 *   below `head + capacity`.
 * Each side keeps a private copy of its own index and a cached copy of the other's, and reloads the
 * other's only when the cache says "empty" or "full", so the steady state costs one atomic store
 * per publish or release and no cross-core read at all.
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { RingFrameTooLargeError } from './errors.js';
import { copyInto, type RingFrameHandler, type RingFrameView } from './frame-view.js';
import { allocateRing, mapRing, type RingCreateOptions } from './ring-memory.js';
import { frameBytesFor, frameCommittedBit, frameLengthMask, frameWordFor, headWord, ringIndexMask, ringKind, tailWord } from './layout.js';

/**
 * An SPSC frame ring. Each thread attaches its own instance to the shared buffer and uses only its
 * role's methods (producer: `offer`, `offerBatch`, `tryReserve`, `commit`, `abort`, `publish`;
 * consumer: `poll`, `readView`, `release`, `drain`, `hasData`). In one thread, one instance may
 * play both roles.
 *
 * @example
 * ```ts
 * const ring = SpscRing.create(64 * 1024);          // producer side, on a SharedArrayBuffer
 * const worker = new Worker(url, { workerData: ring.buffer });
 * ring.offer(new TextEncoder().encode('hello'));     // false when full: retry, drop or back off
 * wakeIfParked(ring.header);                          // see wake.ts
 * // in the worker:
 * const inbox = SpscRing.attach(workerData);
 * inbox.drain((bytes, offset, length) => handle(bytes.subarray(offset, offset + length)), 64);
 * ```
 */
export class SpscRing {
  /** The ring's memory: hand it to the other thread, which calls `SpscRing.attach(buffer)`. */
  readonly buffer: ArrayBufferLike;
  /** Size of the data region in bytes (a power of two). */
  readonly capacityBytes: number;
  /** Longest payload `offer`/`tryReserve` accept; longer ones throw `RingFrameTooLargeError`. */
  readonly frameLengthMax: number;
  /** The header words (see layout.ts); wake.ts parks and wakes on its parking line. */
  readonly header: Int32Array;
  /** The data region; `tryReserve` offsets and frame views index into it. */
  readonly bytes: Uint8Array;
  private readonly words: Int32Array;
  private readonly mask: number;

  // Producer state. `tail` counts frames sealed by commit() but not yet published.
  private tail: number;
  private headCache: number;
  private reservedAt = 0;
  private reservedLength = 0;
  private reserved = false;

  // Consumer state. `frameEnd`/`frameLength` describe the frame found by the last nextFrame().
  private head: number;
  private tailCache: number;
  private frameEnd = 0;
  private frameLength = 0;
  private viewing = false;
  private readonly view: RingFrameView;

  /**
   * Allocates and initialises a ring whose data region is `capacityBytes` long (a power of two,
   * 64 B to 512 MiB). Throws `InvariantError` for any other size.
   */
  static create(capacityBytes: number, options: RingCreateOptions = {}): SpscRing {
    return new SpscRing(allocateRing(ringKind.spsc, capacityBytes, options));
  }

  /** Attaches to a ring created by `SpscRing.create` (usually in another thread). */
  static attach(buffer: ArrayBufferLike): SpscRing {
    return new SpscRing(buffer);
  }

  private constructor(buffer: ArrayBufferLike) {
    const memory = mapRing(buffer, ringKind.spsc);
    const capacityBytes = memory.capacityBytes;
    // Copied into own fields: the hot paths read them without an extra indirection.
    this.buffer = memory.buffer;
    this.capacityBytes = capacityBytes;
    this.frameLengthMax = memory.frameLengthMax;
    this.header = memory.header;
    this.bytes = memory.bytes;
    this.words = memory.words;
    this.mask = memory.mask;
    // Acquire both indices: whichever role this instance plays, it starts from the published state.
    this.head = Atomics.load(this.header, headWord);
    this.tail = Atomics.load(this.header, tailWord);
    this.headCache = this.head;
    this.tailCache = this.tail;
    this.view = { bytes: this.bytes, offset: 0, length: 0 };
    const usedBytes = (this.tail - this.head) & ringIndexMask;
    if (!(usedBytes <= capacityBytes)) invariantBroken(`corrupt ring header: ${usedBytes} bytes in use of ${capacityBytes}`);
    assert((this.head & ~ringIndexMask) === 0 && (this.tail & ~ringIndexMask) === 0, 'corrupt ring header: index out of range');
    assert((this.head & 3) === 0 && (this.tail & 3) === 0, 'corrupt ring header: unaligned head or tail');
  }

  // ------------------------------------------------------------------------------------------
  // Producer

  /**
   * producer: copies `frame` into the ring and publishes it (with any frames sealed before).
   * Returns false when the ring lacks the space right now; never blocks.
   */
  offer(frame: Uint8Array): boolean {
    return this.offerRange(frame, 0, frame.length);
  }

  /**
   * producer: as `offer`, for the frame `bytes[start .. start + length)`: an encoder that writes
   * frame after frame into one buffer hands over a range, and nobody pays for a view of it.
   */
  offerRange(bytes: Uint8Array, start: number, length: number): boolean {
    if (!this.stage(bytes, start, length)) return false;
    this.publish();
    return true;
  }

  /**
   * producer: as `offerRange`, but the frame stays invisible to the consumer until `publish()`: a
   * producer that sends many frames publishes them with one store (and one doorbell ring) instead
   * of one each. Returns false when the ring lacks the space right now.
   */
  stage(bytes: Uint8Array, start: number, length: number): boolean {
    assert(Number.isInteger(start) && start >= 0 && start + length <= bytes.length, 'stage: the frame must lie within bytes');
    const offset = this.tryReserve(length);
    if (offset < 0) return false;
    copyInto(this.bytes, this.words, offset, bytes, start, length);
    this.commit(length);
    return true;
  }

  /**
   * producer: copies as many of `frames` as fit, in order, then publishes them with one store.
   * Returns how many were taken (the rest did not fit; offer them again later). Throws
   * `RingFrameTooLargeError` only if the first frame is too large.
   */
  offerBatch(frames: readonly Uint8Array[]): number {
    let count = 0;
    for (; count < frames.length; count++) {
      const frame = frames[count]!;
      // A too-large frame throws only when it comes first; otherwise the batch stops before it.
      if (count > 0 && frame.length > this.frameLengthMax) break;
      const offset = this.tryReserve(frame.length);
      if (offset < 0) break;
      copyInto(this.bytes, this.words, offset, frame, 0, frame.length);
      this.commit(frame.length);
    }
    if (count > 0) this.publish();
    return count;
  }

  /**
   * producer: reserves room for a frame of up to `length` payload bytes and returns the offset in
   * `bytes` where the payload goes, or -1 when the ring lacks the space right now. Write the payload
   * in place, then `commit(actualLength)`; nothing is visible to the consumer before `publish()`.
   * One reservation at a time.
   */
  tryReserve(length: number): number {
    if (length > this.frameLengthMax) throw new RingFrameTooLargeError(length, this.frameLengthMax);
    assert(!this.reserved, 'tryReserve: commit() or abort() the previous reservation first');
    if (!((length | 0) === length && length >= 0)) invariantBroken(`tryReserve: bad frame length ${length}`);
    const capacityBytes = this.capacityBytes;
    const tail = this.tail;
    const position = tail & this.mask;
    const frameBytes = frameBytesFor(length);
    const contiguousBytes = capacityBytes - position;
    // A frame never straddles the end: pad the rest of the region and start again at 0.
    const paddingBytes = frameBytes <= contiguousBytes ? 0 : contiguousBytes;
    const requiredBytes = paddingBytes + frameBytes;
    if (capacityBytes - ((tail - this.headCache) & ringIndexMask) < requiredBytes) {
      // Acquire: once we load a `head` the consumer stored, its reads of the bytes below it are
      // finished, so overwriting them cannot tear a frame it is still reading.
      this.headCache = Atomics.load(this.header, headWord);
      if (capacityBytes - ((tail - this.headCache) & ringIndexMask) < requiredBytes) return -1;
    }
    // Plain store: the padding word becomes visible with the frame, at the next publish().
    if (paddingBytes !== 0) this.words[position >> 2] = -paddingBytes;
    this.reservedAt = (tail + paddingBytes) & ringIndexMask;
    this.reservedLength = length;
    this.reserved = true;
    return (this.reservedAt & this.mask) + 4;
  }

  /**
   * producer: seals the reserved frame with `length` payload bytes (at most what was reserved, so
   * an encoder may reserve its worst case). The frame stays invisible until `publish()`.
   */
  commit(length: number = this.reservedLength): void {
    assert(this.reserved, 'commit: nothing is reserved');
    if (!(length >= 0 && length <= this.reservedLength)) invariantBroken(`commit: ${length} bytes exceed the ${this.reservedLength} reserved`);
    // Plain store: published by the Atomics.store of tail in publish().
    this.words[(this.reservedAt & this.mask) >> 2] = frameWordFor(length);
    this.tail = (this.reservedAt + frameBytesFor(length)) & ringIndexMask;
    this.reserved = false;
  }

  /**
   * producer: bytes of the data region not taken by frames the consumer has yet to release (reads
   * its `head`): what a producer that must leave room to others checks before it offers.
   */
  usedBytes(): number {
    this.headCache = Atomics.load(this.header, headWord);
    return (this.tail - this.headCache) & ringIndexMask;
  }

  /** producer: drops the current reservation; the space is reused by the next one. */
  abort(): void {
    assert(this.reserved, 'abort: nothing is reserved');
    this.reserved = false;
  }

  /**
   * producer: makes every frame sealed since the last publish visible to the consumer, with one
   * atomic store. Follow it with `wakeIfParked(ring.header)` if the consumer may be parked.
   */
  publish(): void {
    // Release: every plain store of frame words and payloads above happens-before this store, so
    // a consumer whose Atomics.load of tail returns this value reads complete frames.
    Atomics.store(this.header, tailWord, this.tail);
  }

  // ------------------------------------------------------------------------------------------
  // Consumer

  /** consumer: true when a published frame is waiting. Always reads the shared tail when it must. */
  hasData(): boolean {
    if (this.head !== this.tailCache) return true;
    // Acquire (and, in park(), the load half of the flag/tail Dekker pair; see wake.ts).
    this.tailCache = Atomics.load(this.header, tailWord);
    return this.head !== this.tailCache;
  }

  /** consumer: removes the oldest frame and returns a copy of its payload, or null when empty. */
  poll(): Uint8Array | null {
    assert(!this.viewing, 'poll: release() the current view first');
    const offset = this.nextFrame();
    if (offset < 0) return null;
    // slice() copies into a fresh, unshared ArrayBuffer, so the result outlives the release below.
    const copy = this.bytes.slice(offset, offset + this.frameLength);
    this.head = this.frameEnd;
    // Release: our read of the frame is complete before the producer can see its space as free.
    Atomics.store(this.header, headWord, this.head);
    return copy;
  }

  /**
   * consumer: returns a view of the oldest frame without copying it, or null when empty. The frame
   * stays in the ring until `release()`; one view at a time.
   */
  readView(): RingFrameView | null {
    assert(!this.viewing, 'readView: release() the current view first');
    const offset = this.nextFrame();
    if (offset < 0) return null;
    this.viewing = true;
    this.view.offset = offset;
    this.view.length = this.frameLength;
    return this.view;
  }

  /** consumer: gives the frame of the last `readView()` back to the producer. */
  release(): void {
    assert(this.viewing, 'release: no frame is being viewed');
    this.viewing = false;
    this.head = this.frameEnd;
    // Release: as in poll(), the view's bytes are no longer read once the producer sees this.
    Atomics.store(this.header, headWord, this.head);
  }

  /**
   * consumer: hands up to `max` frames to `handler` in order, then frees all their space with one
   * atomic store. A frame whose handler throws counts as consumed (a poison frame cannot wedge the
   * ring); the error propagates. A handler that returns `false` refuses its frame: it stays first
   * in line and the drain stops. Returns the number of frames handled.
   */
  drain(handler: RingFrameHandler, max: number): number {
    assert(!this.viewing, 'drain: release() the current view first');
    if (!(max >= 1)) invariantBroken(`drain: max must be at least 1, got ${max}`);
    let count = 0;
    try {
      while (count < max) {
        const offset = this.nextFrame();
        if (offset < 0) break;
        const head = this.head;
        this.head = this.frameEnd;
        count++;
        if (handler(this.bytes, offset, this.frameLength) === false) {
          // Refused: the frame stays first in line (the head was never published past it).
          this.head = head;
          count--;
          break;
        }
      }
    } finally {
      // Release once for the whole batch: the producer cannot reuse any of it before this store.
      if (count > 0) Atomics.store(this.header, headWord, this.head);
    }
    return count;
  }

  /**
   * Finds the frame at `head`, skipping padding; returns its payload offset and sets `frameEnd` and
   * `frameLength`, or returns -1 when nothing is published. Does not move `head`.
   */
  private nextFrame(): number {
    let head = this.head;
    if (head === this.tailCache) {
      // Acquire: frames below the tail we load here were fully written before it was stored.
      this.tailCache = Atomics.load(this.header, tailWord);
      if (head === this.tailCache) return -1;
    }
    let position = head & this.mask;
    let word = this.words[position >> 2]!;
    if (word < 0) {
      // Padding up to the end of the region; the producer published it together with the frame
      // that follows at offset 0, so that frame is below tail too.
      head = (head - word) & ringIndexMask;
      position = head & this.mask;
      if (!(position === 0 && head !== this.tailCache)) invariantBroken(`corrupt ring: padding of ${-word} bytes at ${position}`);
      word = this.words[0]!;
    }
    const length = word & frameLengthMask;
    const end = (head + frameBytesFor(length)) & ringIndexMask;
    // The frame must end at or before the published tail: measured from the old head, modulo 2^30.
    if (
      !(
        (word & frameCommittedBit) !== 0 &&
        length <= this.frameLengthMax &&
        ((end - this.head) & ringIndexMask) <= ((this.tailCache - this.head) & ringIndexMask)
      )
    )
      invariantBroken(`corrupt ring: frame word ${word} at ${position}`);
    this.frameEnd = end;
    this.frameLength = length;
    return position + 4;
  }
}
