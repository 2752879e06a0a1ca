/**
 * Memory for blocks, used again: the buffers of blocks the cache let go of hold the next group's
 * changes, as ZFS takes its buffers from kmem caches. Fresh memory is dear: the operating system
 * maps and zeroes each page at its first touch (about 3 ms per MiB on the machines measured here,
 * against 0.06 ms to copy a MiB into memory touched before), and each new buffer counts as outside
 * memory that makes V8 collect. A pool writing 32 MiB spent more time taking memory than summing,
 * linking and writing its blocks.
 *
 * Changed blocks take their memory here (`take`), and so do reads (`takeToFill`) and RAID-Z's
 * parity. A buffer let go of is not handed out again at once: someone may still be reading it. It
 * waits until `recycle`, which the pool calls once a group is durable, at the start of its next
 * turn (open-pool.ts `takeBackDurable`). Operations run one at a time, and whoever reads a block
 * uses its bytes before its operation ends, so by then nobody reads it.
 *
 * @example
 * ```ts
 * const buffers = new RecordBuffers(64 << 20);
 * const block = buffers.take(128 << 10, userBytes); // a copy of userBytes, then zeros
 * buffers.release(evicted);                          // no longer in the cache
 * buffers.recycle();                                 // a group is durable: `evicted` may be taken
 * ```
 */
export class RecordBuffers {
  /** Buffers that may be taken, by length. */
  private readonly free = new Map<number, Uint8Array[]>();
  private freeBytes = 0;
  /** Buffers let go of since the last `recycle`: perhaps still being read. */
  private released: Uint8Array[] = [];
  private releasedBytes = 0;
  /** The memory of every buffer released or free: one released twice must not be taken twice. */
  private readonly kept = new WeakSet<ArrayBufferLike>();

  /** `keptBytesMax`: the most bytes kept for reuse (a non-negative safe integer); past it, buffers are left to the collector. */
  constructor(readonly keptBytesMax: number) {
    if (!Number.isSafeInteger(keptBytesMax) || keptBytesMax < 0)
      throw new RangeError(`keptBytesMax must be a non-negative whole number of bytes, got ${keptBytesMax}`);
  }

  /** A buffer of `lengthBytes` holding `contents` (no longer than it) and zeros after; used memory when some is free. */
  take(lengthBytes: number, contents?: Uint8Array): Uint8Array {
    if (contents !== undefined && contents.byteLength > lengthBytes) throw new RangeError(`${contents.byteLength} bytes do not fit a buffer of ${lengthBytes}`);
    const reused = this.reusable(lengthBytes);
    const block = reused ?? new Uint8Array(lengthBytes);
    const filled = contents?.byteLength ?? 0;
    if (contents !== undefined) block.set(contents);
    // New memory is zeros already.
    if (reused !== null && filled < lengthBytes) block.fill(0, filled);
    return block;
  }

  /** A buffer of `lengthBytes` whose bytes are anything: for a read that fills all of it. */
  takeToFill(lengthBytes: number): Uint8Array {
    return this.reusable(lengthBytes) ?? new Uint8Array(lengthBytes);
  }

  /** A free buffer of `lengthBytes`, taken off the free list, or null. */
  private reusable(lengthBytes: number): Uint8Array | null {
    const reused = this.free.get(lengthBytes)?.pop();
    if (reused === undefined) return null;
    this.freeBytes -= lengthBytes;
    this.kept.delete(reused.buffer);
    return reused;
  }

  /** `buffer` is no longer used by whoever kept it; it may be taken again after the next `recycle`. Views of part of a buffer are not kept. */
  release(buffer: Uint8Array): void {
    if (buffer.byteOffset !== 0 || buffer.byteLength !== buffer.buffer.byteLength || !(buffer.buffer instanceof ArrayBuffer)) return;
    if (this.kept.has(buffer.buffer) || this.freeBytes + this.releasedBytes + buffer.byteLength > this.keptBytesMax) return;
    this.kept.add(buffer.buffer);
    this.released.push(buffer);
    this.releasedBytes += buffer.byteLength;
  }

  /** Nobody reads the buffers released before now: they may be taken. */
  recycle(): void {
    for (const buffer of this.released) {
      const list = this.free.get(buffer.byteLength);
      if (list === undefined) this.free.set(buffer.byteLength, [buffer]);
      else list.push(buffer);
    }
    this.freeBytes += this.releasedBytes;
    this.released = [];
    this.releasedBytes = 0;
  }

  /** Bytes that may be taken now, and bytes waiting for the next `recycle`. */
  get keptBytes(): { readonly freeBytes: number; readonly releasedBytes: number } {
    return { freeBytes: this.freeBytes, releasedBytes: this.releasedBytes };
  }
}
