/**
 * A sender's write buffer: the bytes written and not yet acknowledged, oldest first, as the chunks
 * they were written in. Segments are cut from it at any offset (a retransmission starts wherever
 * the peer's acknowledgement left off) and acknowledged bytes are dropped from its front.
 *
 * The chunks are the writers' own arrays (the contract hands them over); `copy` always returns
 * memory of its own, since a segment's payload goes to a receiver that may write to it.
 *
 * @example
 * ```ts
 * const buffer = new SendBuffer();
 * buffer.append(new TextEncoder().encode('hello '));
 * buffer.append(new TextEncoder().encode('world'));
 * buffer.copy(4, 4); // 'o wo'
 * buffer.consume(6); // 'world' left
 * ```
 */
import { assert } from '../../ground/assert.js';

export class SendBuffer {
  private chunks: Uint8Array[] = [];
  /** Index of the first live chunk: shifting an array per acknowledgement would be quadratic. */
  private head = 0;
  /** Bytes of the head chunk already consumed. */
  private headOffset = 0;
  private length = 0;

  /** Bytes held. */
  get size(): number {
    return this.length;
  }

  append(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    this.chunks.push(bytes);
    this.length += bytes.byteLength;
  }

  /** A copy of the `lengthBytes` bytes that start `offsetBytes` from the front. */
  copy(offsetBytes: number, lengthBytes: number): Uint8Array {
    assert(offsetBytes >= 0 && lengthBytes >= 0 && offsetBytes + lengthBytes <= this.length, 'a copy lies within the buffer');
    const copied = new Uint8Array(lengthBytes);
    let skip = offsetBytes + this.headOffset;
    let filled = 0;
    for (let index = this.head; filled < lengthBytes; index++) {
      const chunk = this.chunks[index]!;
      if (skip >= chunk.byteLength) {
        skip -= chunk.byteLength;
        continue;
      }
      const taken = Math.min(chunk.byteLength - skip, lengthBytes - filled);
      copied.set(chunk.subarray(skip, skip + taken), filled);
      filled += taken;
      skip = 0;
    }
    assert(filled === lengthBytes, 'a copy is filled');
    return copied;
  }

  /** Drops the `lengthBytes` oldest bytes (acknowledged by the peer). */
  consume(lengthBytes: number): void {
    assert(lengthBytes >= 0 && lengthBytes <= this.length, 'only bytes held are consumed');
    this.length -= lengthBytes;
    let left = lengthBytes + this.headOffset;
    while (this.head < this.chunks.length && left >= this.chunks[this.head]!.byteLength) {
      left -= this.chunks[this.head]!.byteLength;
      this.chunks[this.head] = emptyChunk;
      this.head++;
    }
    this.headOffset = left;
    // Compact once the dead prefix is half the array, so the array stays as long as the live chunks, amortised.
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    assert(this.length > 0 || this.headOffset === 0, 'an empty buffer has no partial head');
  }

  /** Drops everything (the flow was reset). */
  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.length = 0;
  }
}

const emptyChunk = new Uint8Array(0);
