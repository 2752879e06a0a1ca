import { invariantBroken } from './assert.js';

/**
 * What an indexed heap needs of an entry: a slot for the heap's bookkeeping. `heapIndex` is the
 * entry's position while it is in a heap and -1 otherwise; start it at -1. An entry is in at most
 * one heap at a time.
 */
export interface HeapEntry {
  heapIndex: number;
}

/** Whether `a` comes out of the heap before `b`. A strict order: never true both ways. */
export type HeapOrder<T> = (a: T, b: T) => boolean;

/** A binary min-heap of entries that know their own slot (see `indexedHeapOf`). */
export interface IndexedHeap<T extends HeapEntry> {
  readonly size: number;
  /** The entry `pop` would return, or undefined when empty. */
  peek(): T | undefined;
  push(entry: T): void;
  /** Removes and returns the first entry; the heap must not be empty. */
  pop(): T;
  /** Removes `entry`, which must be in this heap. */
  remove(entry: T): void;
  /** Restores the order after the caller changed the keys of many entries at once (O(n)). */
  reorder(): void;
  /** Calls `visit` on every entry, in heap order (not sorted). */
  forEach(visit: (entry: T) => void): void;
  /**
   * The entries in heap order (not sorted), live: for a caller that changes the keys of many entries
   * at once in a plain loop (no call per entry) and then calls `reorder`. Copy it to keep it.
   */
  entries(): readonly T[];
}

/**
 * A heap class of one order, for one kind of entry: a binary min-heap whose entries know their own slot, so one that
 * leaves early (a cancelled timer, an answered ask, an actor that stopped or moved) goes in
 * O(log n) instead of lingering until it surfaces. The one heap of the kernel: the clock's timers,
 * the ask deadlines and the two classes of each run queue are all made by it.
 *
 * Why a class per use (kind of entry), not one class taking the order: V8 keeps type feedback per
 * class, and with one class shared by the timers, the asks and the run queue, every comparison and
 * slot store met three kinds of entries; the run queue measured 15 % slower than with its own.
 *
 * @example
 * ```ts
 * interface Timer extends HeapEntry { readonly dueMs: number }
 * const TimerHeap = indexedHeapOf<Timer>((a, b) => a.dueMs < b.dueMs);
 * const timers = new TimerHeap();
 * const late: Timer = { dueMs: 50, heapIndex: -1 };
 * timers.push(late);
 * timers.push({ dueMs: 10, heapIndex: -1 });
 * timers.remove(late);
 * timers.pop(); // { dueMs: 10, heapIndex: -1 }
 * ```
 */
export function indexedHeapOf<E extends HeapEntry>(before: HeapOrder<E>): new <T extends E>() => IndexedHeap<T> {
  return class Heap<T extends E> implements IndexedHeap<T> {
    private readonly items: T[] = [];

    get size(): number {
      return this.items.length;
    }

    /** The entry `pop` would return, or undefined when empty. */
    peek(): T | undefined {
      return this.items[0];
    }

    push(entry: T): void {
      if (entry.heapIndex !== -1) invariantBroken('IndexedHeap.push: the entry is already in a heap');
      this.items.push(entry);
      this.siftUp(entry, this.items.length - 1);
    }

    /**
     * Removes and returns the first entry; the heap must not be empty. Floyd's pop: the hole at the
     * root walks down to a leaf along the earlier children (one comparison per level), the last entry
     * drops into it and sifts up. The last entry is usually among the latest, so it rarely moves:
     * about half the comparisons of a plain sift-down.
     */
    pop(): T {
      const items = this.items;
      const top = items[0];
      if (top === undefined) invariantBroken('IndexedHeap.pop on an empty heap');
      const last = items.pop()!;
      top.heapIndex = -1;
      const length = items.length;
      if (length === 0) return top;
      let index = 0;
      for (let left = 1; left < length; left = 2 * index + 1) {
        const right = left + 1;
        const child = right < length && before(items[right]!, items[left]!) ? right : left;
        const moved = items[child]!;
        items[index] = moved;
        moved.heapIndex = index;
        index = child;
      }
      this.siftUp(last, index);
      return top;
    }

    /** Removes `entry`, which must be in this heap. */
    remove(entry: T): void {
      const index = entry.heapIndex;
      if (this.items[index] !== entry) invariantBroken('IndexedHeap.remove: the entry is not in this heap');
      const last = this.items.pop()!;
      entry.heapIndex = -1;
      if (last === entry) return;
      // The last entry fills the hole; it may belong above or below it, and one of the sifts moves it.
      this.siftUp(last, index);
      if (last.heapIndex === index) this.siftDown(last, index);
    }

    /** Restores the order after the caller changed the keys of many entries at once (O(n)). */
    reorder(): void {
      const items = this.items;
      for (let index = (items.length >> 1) - 1; index >= 0; index--) this.siftDown(items[index]!, index);
    }

    /** Calls `visit` on every entry, in heap order (not sorted). */
    forEach(visit: (entry: T) => void): void {
      for (const entry of this.items) visit(entry);
    }

    entries(): readonly T[] {
      return this.items;
    }

    /** Places `entry` at `index` or above, moving later parents down. */
    private siftUp(entry: T, index: number): void {
      const items = this.items;
      while (index > 0) {
        const parentIndex = (index - 1) >> 1;
        const parent = items[parentIndex]!;
        if (!before(entry, parent)) break;
        items[index] = parent;
        parent.heapIndex = index;
        index = parentIndex;
      }
      items[index] = entry;
      entry.heapIndex = index;
    }

    /** Places `entry` at `index` or below, moving earlier children up. */
    private siftDown(entry: T, index: number): void {
      const items = this.items;
      const count = items.length;
      for (;;) {
        const left = 2 * index + 1;
        if (left >= count) break;
        const right = left + 1;
        const childIndex = right < count && before(items[right]!, items[left]!) ? right : left;
        const child = items[childIndex]!;
        if (!before(child, entry)) break;
        items[index] = child;
        child.heapIndex = index;
        index = childIndex;
      }
      items[index] = entry;
      entry.heapIndex = index;
    }
  };
}

/** Something that falls due: a timer, an ask's deadline. */
export interface Due extends HeapEntry {
  readonly dueMs: number;
  /** Creation order: among things due at the same time, the first made comes out first. */
  readonly sequence: number;
}

/** The order of things that fall due: the earlier `dueMs` first, then the smaller `sequence`. */
export function dueBefore(a: Due, b: Due): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.sequence < b.sequence);
}
