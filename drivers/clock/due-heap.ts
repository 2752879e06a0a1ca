import { assert } from '../../actors/runtime/assert.js';

/**
 * What a DueHeap orders: the earlier `dueMs` first, and among equal ones the smaller `sequence`
 * (creation order, so things due together come out as they went in). `heapIndex` is the heap's
 * bookkeeping: the entry's slot while it is in a heap, -1 otherwise; start it at -1.
 */
export interface Due {
  readonly dueMs: number;
  readonly sequence: number;
  heapIndex: number;
}

/**
 * A binary min-heap of things that fall due: timers of the simulated clock, deadlines of asks.
 * Each entry carries its slot, so one that ends early (a cancelled timer, an answered ask) leaves
 * at once in O(log n) instead of lingering until it surfaces.
 *
 * @example
 * ```ts
 * const heap = new DueHeap<Due>();
 * const late = { dueMs: 50, sequence: 1, heapIndex: -1 };
 * heap.push(late);
 * heap.push({ dueMs: 10, sequence: 2, heapIndex: -1 });
 * heap.remove(late);
 * heap.pop(); // { dueMs: 10, sequence: 2, heapIndex: -1 }
 * ```
 */
export class DueHeap<T extends Due> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  /** The entry `pop` would return, or undefined when empty. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(entry: T): void {
    assert(entry.heapIndex === -1, 'DueHeap.push: the entry is already in a heap');
    this.items.push(entry);
    this.siftUp(entry, this.items.length - 1);
  }

  /** Removes and returns the entry due first; the heap must not be empty. */
  pop(): T {
    const top = this.items[0];
    assert(top !== undefined, 'DueHeap.pop on an empty heap');
    this.remove(top);
    return top;
  }

  /** Removes `entry`, which must be in this heap. */
  remove(entry: T): void {
    const index = entry.heapIndex;
    assert(this.items[index] === entry, 'DueHeap.remove: the entry is not in this heap');
    const last = this.items.pop()!;
    entry.heapIndex = -1;
    if (last === entry) return;
    // The last entry fills the hole; it may belong above or below it, and one of the sifts moves it.
    this.siftUp(last, index);
    if (last.heapIndex === index) this.siftDown(last, index);
  }

  /** Places `entry` at `index` or above, moving later-due parents down. */
  private siftUp(entry: T, index: number): void {
    const items = this.items;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = items[parentIndex]!;
      if (!dueBefore(entry, parent)) break;
      items[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }

  /** Places `entry` at `index` or below, moving earlier-due children up. */
  private siftDown(entry: T, index: number): void {
    const items = this.items;
    const count = items.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= count) break;
      const right = left + 1;
      const childIndex = right < count && dueBefore(items[right]!, items[left]!) ? right : left;
      const child = items[childIndex]!;
      if (!dueBefore(child, entry)) break;
      items[index] = child;
      child.heapIndex = index;
      index = childIndex;
    }
    items[index] = entry;
    entry.heapIndex = index;
  }
}

function dueBefore(a: Due, b: Due): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.sequence < b.sequence);
}
