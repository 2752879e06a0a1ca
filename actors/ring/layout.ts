/**
 * The memory layout shared by the SPSC and MPSC byte rings: a 256-byte header of four 64-byte cache
 * lines, then a power-of-two data region of variable-length frames.
 *
 * ```
 * line 0  config      magic, kind, capacityBytes            written once, then read-only
 * line 1  head        consumer's free-running byte index    written by the consumer only
 * line 2  tail        producers' free-running byte index    written by the producer(s) only
 * line 3  parking     sleep flag + notify/park counters     see wake.ts
 * data    frames      [word][payload][pad to 4] …           capacityBytes long
 * ```
 *
 * Why one line per writer: a cache line written by one core is invalidated in every other core that
 * holds it. If head and tail shared a line, each publish by the producer would evict the consumer's
 * copy of head and each release by the consumer would evict the producer's copy of tail ("false
 * sharing"), so every message would pay two cross-core misses even when neither side reads the
 * other's index.
 *
 * Indices are free-running byte counters modulo 2^30 (OSv `ring_spsc` style): the position in the
 * data region is `index & (capacityBytes - 1)`, and `(tail - head) & ringIndexMask` is the used
 * byte count. Since 2^30 is a multiple of every capacity, the mask stays right across the wrap.
 * Why 2^30 and not 2^32: V8 keeps integers below 2^30 as small integers (31-bit Smis with pointer
 * compression). A 32-bit counter spends half its range above that, where every field holding it
 * turns into a heap number and every arithmetic step into a deopt-guarded double operation.
 *
 * Frame word (the 4 bytes before each payload, one Int32):
 * - `0`: nothing here yet (the MPSC consumer waits on this; the SPSC never reads an unpublished word);
 * - `< 0`: padding, skip `-word` bytes (a wrap marker is padding up to the end of the data region);
 * - `frameCommittedBit | length`: a frame of `length` payload bytes.
 */
import { assert, invariantBroken } from '../../ground/assert.js';

/** Bytes per cache line on x86-64 and most arm64 cores; the unit of padding in the header. */
export const cacheLineBytes = 64;
/** Int32 words per cache line. */
export const cacheLineWords = cacheLineBytes / 4;
/** Header bytes before the data region: config, head, tail, parking, one line each. */
export const ringHeaderBytes = 4 * cacheLineBytes;
/** The length prefix of every frame, one Int32. */
export const frameHeaderBytes = 4;
/** Every frame starts on a 4-byte boundary, so its word can be read as one aligned Int32. */
export const frameAlignBytes = 4;
/** Smallest data region: a 28-byte payload still fits (frames are at most half the region). */
export const ringCapacityBytesMin = 64;
/** Indices wrap modulo 2^30 (see the module doc); `& ringIndexMask` after every index addition. */
export const ringIndexMask = (1 << 30) - 1;
/** Largest data region: half the index space, so "full" (capacity) and "empty" (0) stay distinct. */
export const ringCapacityBytesMax = 1 << 29;
/** Set in the frame word of every committed frame, so a committed empty frame is not `0`. */
export const frameCommittedBit = 1 << 30;
/** Mask of the payload length inside a frame word. */
export const frameLengthMask = frameCommittedBit - 1;
/** `'OSRg'` in ASCII: marks a buffer laid out by this module. */
export const ringMagic = 0x4f535267;

/** Which ring protocol a buffer was initialised for (header word `kind`). */
export const ringKind = { spsc: 1, mpsc: 2 } as const;
export type RingKind = (typeof ringKind)[keyof typeof ringKind];

// Int32 indices of the header words. Each writer's words sit alone on their cache line.
/** line 0: `ringMagic`. */
export const magicWord = 0;
/** line 0: a `ringKind` value. */
export const kindWord = 1;
/** line 0: size of the data region in bytes. */
export const capacityBytesWord = 2;
/** line 1: the consumer's free-running byte index (everything before it is free space). */
export const headWord = cacheLineWords;
/** line 2: SPSC: the published end of the frames; MPSC: the end of the space producers have claimed. */
export const tailWord = 2 * cacheLineWords;
/** line 3: 1 while the consumer is parked or about to park, else 0 (see wake.ts). */
export const sleepFlagWord = 3 * cacheLineWords;
/** line 3: `Atomics.notify` calls made by producers (at most one per raise of the flag). */
export const notifyCountWord = sleepFlagWord + 1;
/** line 3: waits in which the consumer actually slept (woken or timed out). */
export const parkCountWord = sleepFlagWord + 2;
/** line 3: waits that ended by their timeout rather than by a notify. */
export const parkTimeoutCountWord = sleepFlagWord + 3;
/** line 3: timed-out waits that found data published while the flag was still raised: lost wake-ups. */
export const lostWakeCountWord = sleepFlagWord + 4;

assert(ringHeaderBytes % cacheLineBytes === 0, 'the data region must start on a cache line');
assert(lostWakeCountWord < ringHeaderBytes / 4, 'the parking counters must fit in the header');
assert(frameHeaderBytes === frameAlignBytes, 'a frame word is exactly one alignment unit');
assert(ringCapacityBytesMax / 2 <= frameLengthMask, 'the longest frame must fit in the length field');
assert(ringCapacityBytesMax < ringIndexMask, 'used bytes (up to the capacity) must fit in the index space');

/** True when `n` is a positive integer power of two. */
export function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/** Throws a clear `InvariantError` unless `capacityBytes` is a power of two within the bounds. */
export function assertRingCapacity(capacityBytes: number): void {
  if (!isPowerOfTwo(capacityBytes)) invariantBroken(`ring capacity must be a power of two in bytes, got ${capacityBytes}`);
  if (!(capacityBytes >= ringCapacityBytesMin)) invariantBroken(`ring capacity must be at least ${ringCapacityBytesMin} bytes, got ${capacityBytes}`);
  if (!(capacityBytes <= ringCapacityBytesMax)) invariantBroken(`ring capacity must be at most ${ringCapacityBytesMax} bytes, got ${capacityBytes}`);
}

/**
 * Bytes to allocate for a ring whose data region is `capacityBytes` long (header included).
 *
 * @example
 * ```ts
 * const buffer = new SharedArrayBuffer(ringBytesFor(64 * 1024)); // 65,792 bytes
 * ```
 */
export function ringBytesFor(capacityBytes: number): number {
  assertRingCapacity(capacityBytes);
  return ringHeaderBytes + capacityBytes;
}

/**
 * Longest payload a ring accepts. A frame (word + payload + padding) may take at most half of the
 * data region: then an empty ring can always take it, even when the producer sits just short of the
 * end and must pad to the start first (padding < frame, so padding + frame <= capacity).
 */
export function frameLengthMaxFor(capacityBytes: number): number {
  return capacityBytes / 2 - frameHeaderBytes;
}

/** Bytes a frame of `length` payload bytes occupies in the data region: word + payload, 4-aligned. */
export function frameBytesFor(length: number): number {
  return (frameHeaderBytes + length + frameAlignBytes - 1) & ~(frameAlignBytes - 1);
}

/** The frame word of a committed frame of `length` payload bytes. */
export function frameWordFor(length: number): number {
  return frameCommittedBit | length;
}

/**
 * Writes the config line of a fresh ring into `buffer` (whose contents must be all zero, as a new
 * buffer is). Head and tail start at 0, the data region is empty.
 */
export function initRingHeader(buffer: ArrayBufferLike, kind: RingKind, capacityBytes: number): Int32Array {
  if (!(buffer.byteLength === ringBytesFor(capacityBytes))) invariantBroken(`buffer is ${buffer.byteLength} bytes, expected ringBytesFor(${capacityBytes})`);
  const header = new Int32Array(buffer, 0, ringHeaderBytes / 4);
  assert(Atomics.load(header, magicWord) === 0, 'the buffer already holds a ring');
  header[kindWord] = kind;
  header[capacityBytesWord] = capacityBytes;
  // The magic goes last: a thread that attaches and sees it also sees kind and capacity (they are
  // normally handed over with postMessage, which synchronises anyway).
  Atomics.store(header, magicWord, ringMagic);
  return header;
}

/** Checks that `buffer` holds a ring of `kind` and returns its data-region size in bytes. */
export function readRingCapacity(buffer: ArrayBufferLike, kind: RingKind): number {
  if (!(buffer.byteLength > ringHeaderBytes)) invariantBroken(`a ${buffer.byteLength}-byte buffer is too small to hold a ring`);
  const header = new Int32Array(buffer, 0, ringHeaderBytes / 4);
  // Acquires the config words written before the magic by initRingHeader.
  assert(Atomics.load(header, magicWord) === ringMagic, 'the buffer was not initialised as a ring');
  if (!(header[kindWord] === kind)) invariantBroken(`the buffer holds a ring of kind ${header[kindWord]}, expected ${kind}`);
  const capacityBytes = header[capacityBytesWord]!;
  assertRingCapacity(capacityBytes);
  assert(buffer.byteLength === ringHeaderBytes + capacityBytes, 'the buffer size does not match the ring capacity');
  return capacityBytes;
}
