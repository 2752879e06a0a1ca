import { frameLengthMaxFor, initRingHeader, readRingCapacity, ringBytesFor, ringHeaderBytes, type RingKind } from './layout.js';

/** How a new ring allocates its memory. */
export interface RingCreateOptions {
  /** SharedArrayBuffer (default) for two threads; false for a plain ArrayBuffer used in one thread. */
  readonly shared?: boolean;
}

/**
 * The views every ring kind keeps over its buffer. The layout arithmetic (header first, then a
 * power-of-two data region) lives here once, so the SPSC and MPSC rings cannot drift apart on it.
 */
export interface RingMemory {
  readonly buffer: ArrayBufferLike;
  /** Size of the data region in bytes (a power of two). */
  readonly capacityBytes: number;
  /** Longest payload one frame may carry. */
  readonly frameLengthMax: number;
  /** The header words (see layout.ts). */
  readonly header: Int32Array;
  /** The data region as bytes and as 32-bit words (frame headers, padding markers). */
  readonly bytes: Uint8Array;
  readonly words: Int32Array;
  /** `capacityBytes - 1`: turns a ring index into a position in the data region. */
  readonly mask: number;
}

/** Allocates a ring of `kind` with a `capacityBytes` data region and writes its header. */
export function allocateRing(kind: RingKind, capacityBytes: number, options: RingCreateOptions): ArrayBufferLike {
  const bytes = ringBytesFor(capacityBytes);
  const buffer = options.shared === false ? new ArrayBuffer(bytes) : new SharedArrayBuffer(bytes);
  initRingHeader(buffer, kind, capacityBytes);
  return buffer;
}

/** Checks the header of a ring of `kind` in `buffer` and maps its views. */
export function mapRing(buffer: ArrayBufferLike, kind: RingKind): RingMemory {
  const capacityBytes = readRingCapacity(buffer, kind);
  return {
    buffer,
    capacityBytes,
    frameLengthMax: frameLengthMaxFor(capacityBytes),
    header: new Int32Array(buffer, 0, ringHeaderBytes / 4),
    bytes: new Uint8Array(buffer, ringHeaderBytes, capacityBytes),
    words: new Int32Array(buffer, ringHeaderBytes, capacityBytes / 4),
    mask: capacityBytes - 1,
  };
}
