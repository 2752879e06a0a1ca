/**
 * A reference model of the SPSC ring for the model-based tests: a plain array queue plus the
 * ring's space accounting (frame sizes, padding at the end, free-running indices as unbounded
 * numbers), written independently of the ring's int32 arithmetic.
 */
import { frameBytesFor, frameLengthMaxFor } from '../../../actors/ring/layout.js';

interface ModelFrame {
  readonly bytes: Uint8Array;
  /** Index just past the frame (and past the padding before it, if any). */
  readonly end: number;
}

export class SpscModel {
  readonly frameLengthMax: number;
  private tail: number;
  private head: number;
  private readonly frames: ModelFrame[] = [];
  /** How many of `frames` (from the front) are published. */
  private publishedCount = 0;

  constructor(
    readonly capacityBytes: number,
    startIndex: number,
  ) {
    this.frameLengthMax = frameLengthMaxFor(capacityBytes);
    this.tail = startIndex;
    this.head = startIndex;
  }

  /** True when no frame is queued, published or not. */
  get isEmpty(): boolean {
    return this.frames.length === 0;
  }

  /** Bytes a reservation of `length` needs at the current tail, padding included. */
  requiredBytes(length: number): number {
    const position = this.tail % this.capacityBytes;
    const frameBytes = frameBytesFor(length);
    const contiguousBytes = this.capacityBytes - position;
    return frameBytes <= contiguousBytes ? frameBytes : contiguousBytes + frameBytes;
  }

  fits(length: number): boolean {
    return this.requiredBytes(length) <= this.capacityBytes - (this.tail - this.head);
  }

  /** Seals a frame (unpublished); `reservedLength` decides the padding, `bytes` what is kept. */
  seal(reservedLength: number, bytes: Uint8Array): void {
    const required = this.requiredBytes(reservedLength);
    const paddingBytes = required - frameBytesFor(reservedLength);
    this.tail += paddingBytes + frameBytesFor(bytes.length);
    this.frames.push({ bytes, end: this.tail });
  }

  publish(): void {
    this.publishedCount = this.frames.length;
  }

  /** The oldest published frame, removed; null when none is published. */
  take(): Uint8Array | null {
    if (this.publishedCount === 0) return null;
    const frame = this.frames.shift()!;
    this.publishedCount--;
    this.head = frame.end;
    return frame.bytes;
  }
}
