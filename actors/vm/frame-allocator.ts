/**
 * The frame allocator: a buddy allocator over physical memory (OSv's page_range_allocator keeps
 * free ranges by order the same way). A block of order k is 2^k frames, aligned to its size, from 4
 * KiB (order 0) to 1 GiB (order 18). Allocating splits the smallest free block that is large
 * enough; freeing merges a block with its buddy (the block it was split from) while the buddy is
 * free. Its free lists live in shared memory under one lock, so any CPU allocates: a fault on CPU 3
 * takes a frame without a message. The common case, one 4 KiB frame, goes through the CPU's own
 * cache instead (frame-cache.ts), which takes the lock once per batch.
 *
 * @example
 * ```ts
 * const allocator = new FrameAllocator(memory);
 * const frame = allocator.allocate(9);  // a 2 MiB run, or -1
 * allocator.free(frame, 9);
 * ```
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { frameOrdersCount, pageBytes, watermarkLowShare } from './limits.js';
import { framesCountWord, freeFramesWord, freeHeadsWord, lockWord, type PhysicalMemory } from './physical-memory.js';
import { acquire, release } from './spin-lock.js';

const next = 0;
const prev = 1;
const tag = 2;

export class FrameAllocator {
  private readonly words: Int32Array;
  /** Free frames below which an allocation calls `onLow` (OSv's watermark_lo). */
  readonly watermarkFrames: number;
  /** Called after an allocation that left free memory below the watermark (the VM wakes its reclaimer). */
  onLow: (() => void) | null = null;

  constructor(private readonly memory: PhysicalMemory) {
    this.words = memory.words;
    this.watermarkFrames = Math.ceil(memory.framesCount * watermarkLowShare);
  }

  /**
   * Puts every frame on the free lists, in the largest aligned blocks that fit: once per physical
   * memory, before any CPU allocates.
   */
  format(): void {
    const frames = this.words[framesCountWord]!;
    assert(this.words[freeFramesWord] === 0 && frames === this.memory.framesCount, 'a physical memory is formatted once');
    acquire(this.words, lockWord);
    try {
      let frame = 0;
      while (frame < frames) {
        let order = frameOrdersCount - 1;
        while (frame % 2 ** order !== 0 || frame + 2 ** order > frames) order--;
        this.push(frame, order);
        frame += 2 ** order;
      }
    } finally {
      release(this.words, lockWord);
    }
  }

  /** A block of 2^order frames, its first frame, or -1 when no free block is large enough. */
  allocate(order: number): number {
    if (!(Number.isInteger(order) && order >= 0 && order < frameOrdersCount)) invariantBroken(`order ${order} is not within 0..${frameOrdersCount - 1}`);
    acquire(this.words, lockWord);
    let frame: number;
    try {
      frame = this.take(order);
    } finally {
      release(this.words, lockWord);
    }
    this.checkLow();
    return frame;
  }

  /** Up to `count` single frames into `into` from `at` on, under one hold of the lock; how many it took. */
  allocateSingles(into: Int32Array, at: number, count: number): number {
    acquire(this.words, lockWord);
    let taken = 0;
    try {
      while (taken < count) {
        const frame = this.take(0);
        if (frame < 0) break;
        into[at + taken++] = frame;
      }
    } finally {
      release(this.words, lockWord);
    }
    this.checkLow();
    return taken;
  }

  private checkLow(): void {
    if (this.onLow !== null && Atomics.load(this.words, freeFramesWord) < this.watermarkFrames) this.onLow();
  }

  /** Returns a block of 2^order frames that `allocate` handed out (or a part of one, at its own alignment). */
  free(frame: number, order: number): void {
    if (!(Number.isInteger(order) && order >= 0 && order < frameOrdersCount)) invariantBroken(`order ${order} is not within 0..${frameOrdersCount - 1}`);
    if (!(Number.isInteger(frame) && frame >= 0 && frame % 2 ** order === 0 && frame + 2 ** order <= this.memory.framesCount))
      invariantBroken(`frame ${frame} does not start a block of order ${order}`);
    acquire(this.words, lockWord);
    try {
      this.give(frame, order);
    } finally {
      release(this.words, lockWord);
    }
  }

  /** Returns `count` single frames from `from[at ..]` under one hold of the lock. */
  freeSingles(from: Int32Array, at: number, count: number): void {
    acquire(this.words, lockWord);
    try {
      for (let i = 0; i < count; i++) this.give(from[at + i]!, 0);
    } finally {
      release(this.words, lockWord);
    }
  }

  /** Frames on the free lists now. */
  freeFrames(): number {
    return Atomics.load(this.words, freeFramesWord);
  }

  /** Free blocks of each order now (for status and tests; takes the lock). */
  freeBlocksByOrder(): number[] {
    acquire(this.words, lockWord);
    try {
      const counts: number[] = [];
      for (let order = 0; order < frameOrdersCount; order++) {
        let count = 0;
        for (let frame = this.words[freeHeadsWord + order]!; frame !== -1; frame = this.words[this.memory.metaWord(frame, next)]!) count++;
        counts.push(count);
      }
      return counts;
    } finally {
      release(this.words, lockWord);
    }
  }

  /** Zeroes the frames of a block that ever held data: memory fresh from the buffer reads as zero already, and stays uncommitted. */
  zero(frame: number, order: number): void {
    const touched = this.memory.touched;
    const end = frame + 2 ** order;
    let runStart = -1;
    for (let f = frame; f <= end; f++) {
      const dirty = f < end && touched[f] === 1;
      if (dirty && runStart < 0) runStart = f;
      if (!dirty && runStart >= 0) {
        this.memory.bytes.fill(0, runStart * pageBytes, f * pageBytes);
        runStart = -1;
      }
    }
    touched.fill(1, frame, end);
  }

  // Under the lock.

  private take(order: number): number {
    let have = order;
    while (have < frameOrdersCount && this.words[freeHeadsWord + have] === -1) have++;
    if (have === frameOrdersCount) return -1;
    const frame = this.words[freeHeadsWord + have]!;
    this.unlink(frame, have);
    // Split down: the upper half of each split goes back on the list one order below.
    while (have > order) {
      have--;
      this.push(frame + 2 ** have, have);
    }
    return frame;
  }

  private give(frame: number, order: number): void {
    const frames = this.memory.framesCount;
    let block = frame;
    let size = order;
    while (size < frameOrdersCount - 1) {
      const buddy = block ^ (2 ** size);
      if (buddy + 2 ** size > frames || this.words[this.memory.metaWord(buddy, tag)] !== size + 1) break;
      this.unlink(buddy, size);
      block = Math.min(block, buddy);
      size++;
    }
    this.push(block, size);
  }

  private push(frame: number, order: number): void {
    const words = this.words;
    const memory = this.memory;
    const head = words[freeHeadsWord + order]!;
    words[memory.metaWord(frame, next)] = head;
    words[memory.metaWord(frame, prev)] = -1;
    words[memory.metaWord(frame, tag)] = order + 1;
    if (head !== -1) words[memory.metaWord(head, prev)] = frame;
    words[freeHeadsWord + order] = frame;
    words[freeFramesWord] = words[freeFramesWord]! + 2 ** order;
  }

  private unlink(frame: number, order: number): void {
    const words = this.words;
    const memory = this.memory;
    if (!(words[memory.metaWord(frame, tag)] === order + 1)) invariantBroken(`frame ${frame} does not head a free block of order ${order}`);
    const after = words[memory.metaWord(frame, next)]!;
    const before = words[memory.metaWord(frame, prev)]!;
    if (before === -1) words[freeHeadsWord + order] = after;
    else words[memory.metaWord(before, next)] = after;
    if (after !== -1) words[memory.metaWord(after, prev)] = before;
    words[memory.metaWord(frame, tag)] = 0;
    words[freeFramesWord] = words[freeFramesWord]! - 2 ** order;
  }
}
