import { assert } from './assert.js';

/** What a DeadlineHeap orders: earlier `dueMs` first, and among equal ones the smaller `id`. */
export interface Deadline {
  readonly dueMs: number;
  readonly id: number;
}

/**
 * A binary min-heap of deadlines. Entries leave from the top only; an owner whose entries can end
 * early (an ask answered in time) leaves them in and skips them when they surface, and calls
 * `rebuild` with the live ones when the dead outnumber them.
 *
 * @example
 * ```ts
 * const heap = new DeadlineHeap<Deadline>();
 * heap.push({ dueMs: 50, id: 2 });
 * heap.push({ dueMs: 10, id: 1 });
 * heap.pop(); // { dueMs: 10, id: 1 }
 * ```
 */
export class DeadlineHeap<T extends Deadline> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    let index = items.length;
    items.push(item);
    // Sift up. Deadlines mostly arrive in order (one default deadline), so this usually stops at once.
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!earlier(item, items[parent]!)) break;
      items[index] = items[parent]!;
      index = parent;
    }
    items[index] = item;
  }

  pop(): T {
    const items = this.items;
    const top = items[0];
    assert(top !== undefined, 'DeadlineHeap.pop on an empty heap');
    const last = items.pop()!;
    if (items.length > 0) this.siftDown(last, 0);
    return top;
  }

  /** Replaces the contents with `items`, heapified in O(n). */
  rebuild(items: Iterable<T>): void {
    this.items = [...items];
    for (let index = (this.items.length >> 1) - 1; index >= 0; index--) this.siftDown(this.items[index]!, index);
  }

  private siftDown(item: T, index: number): void {
    const items = this.items;
    const count = items.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= count) break;
      const right = left + 1;
      const child = right < count && earlier(items[right]!, items[left]!) ? right : left;
      if (!earlier(items[child]!, item)) break;
      items[index] = items[child]!;
      index = child;
    }
    items[index] = item;
  }
}

function earlier(a: Deadline, b: Deadline): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.id < b.id);
}
