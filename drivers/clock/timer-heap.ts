import assert from 'node:assert/strict';
import type { TimerHandle } from './clock.js';

/** @internal An armed timer; it is its own handle. `heapIndex` is -1 once fired or cancelled. */
export class SimulatedTimer implements TimerHandle {
  heapIndex = -1;
  constructor(
    /** The clock that armed it, so a handle from another clock is refused. */
    readonly owner: object,
    readonly dueMs: number,
    readonly sequence: number,
    readonly callback: () => void,
  ) {}
}

/** @internal Binary min-heap of timers by (dueMs, sequence); each timer knows its index. */
export class TimerHeap {
  private readonly items: SimulatedTimer[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): SimulatedTimer | undefined {
    return this.items[0];
  }

  push(timer: SimulatedTimer): void {
    assert.equal(timer.heapIndex, -1, 'TimerHeap.push: timer already armed');
    timer.heapIndex = this.items.length;
    this.items.push(timer);
    this.siftUp(timer.heapIndex);
  }

  pop(): SimulatedTimer {
    const top = this.items[0];
    assert(top !== undefined, 'TimerHeap.pop on an empty heap');
    this.remove(top);
    return top;
  }

  remove(timer: SimulatedTimer): void {
    const index = timer.heapIndex;
    assert(this.items[index] === timer, 'TimerHeap.remove: timer not in this heap');
    const last = this.items.pop()!;
    timer.heapIndex = -1;
    if (last === timer) return;
    this.items[index] = last;
    last.heapIndex = index;
    // The moved timer may belong above or below its new slot; at most one sift moves it.
    this.siftUp(index);
    this.siftDown(last.heapIndex);
  }

  private siftUp(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!earlier(this.items[index]!, this.items[parent]!)) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(index: number): void {
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.items.length && earlier(this.items[left]!, this.items[smallest]!)) smallest = left;
      if (right < this.items.length && earlier(this.items[right]!, this.items[smallest]!)) smallest = right;
      if (smallest === index) return;
      this.swap(index, smallest);
      index = smallest;
    }
  }

  private swap(a: number, b: number): void {
    const timerA = this.items[a]!;
    const timerB = this.items[b]!;
    this.items[a] = timerB;
    this.items[b] = timerA;
    timerA.heapIndex = b;
    timerB.heapIndex = a;
  }
}

/** Fire order: due time first, then creation order, so equal due times fire as they were armed. */
function earlier(a: SimulatedTimer, b: SimulatedTimer): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.sequence < b.sequence);
}
