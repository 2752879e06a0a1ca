/**
 * A CPU's own cache of free 4 KiB frames (OSv's per-CPU L1 page pool), so the common allocation, one
 * frame for a fault, touches no lock and no line another CPU writes. It lives in the CPU's area of
 * the control buffer, not in the thread's heap, so the frames of a CPU that died are found again.
 * Only its CPU takes from it and gives to it; it refills from the shared allocator, and drains back,
 * a batch at a time.
 *
 * @example
 * ```ts
 * const cache = new FrameCache(memory, allocator, cpu);
 * const frame = cache.take();  // -1 when physical memory has no single frame left
 * cache.give(frame);
 * ```
 */
import { assert } from '../../ground/assert.js';
import type { FrameAllocator } from './frame-allocator.js';
import { frameCacheBatchFrames, frameCacheFramesMax } from './limits.js';
import type { PhysicalMemory } from './physical-memory.js';

export class FrameCache {
  private readonly words: Int32Array;
  /** Word of the count; the frames follow it. */
  private readonly countWord: number;

  constructor(
    memory: PhysicalMemory,
    private readonly allocator: FrameAllocator,
    readonly cpu: number,
  ) {
    this.words = memory.words;
    this.countWord = memory.frameCacheWord(cpu);
  }

  /** Frames in the cache now. */
  get count(): number {
    return Atomics.load(this.words, this.countWord);
  }

  /** A free frame, or -1 when neither the cache nor the shared allocator has one. */
  take(): number {
    let count = this.words[this.countWord]!;
    if (count === 0) {
      count = this.allocator.allocateSingles(this.words, this.countWord + 1, frameCacheBatchFrames);
      if (count === 0) return -1;
    }
    const frame = this.words[this.countWord + count]!;
    Atomics.store(this.words, this.countWord, count - 1);
    return frame;
  }

  /** Takes back a single frame; a full cache first drains a batch to the shared allocator. */
  give(frame: number): void {
    let count = this.words[this.countWord]!;
    if (count === frameCacheFramesMax) {
      count -= frameCacheBatchFrames;
      this.allocator.freeSingles(this.words, this.countWord + 1 + count, frameCacheBatchFrames);
    }
    assert(count < frameCacheFramesMax, 'a cache never holds more than its bound');
    this.words[this.countWord + 1 + count] = frame;
    Atomics.store(this.words, this.countWord, count + 1);
  }

  /** Gives every cached frame back to the shared allocator (at shutdown, or for a CPU that died). */
  drain(): void {
    const count = this.words[this.countWord]!;
    this.allocator.freeSingles(this.words, this.countWord + 1, count);
    Atomics.store(this.words, this.countWord, 0);
  }
}
