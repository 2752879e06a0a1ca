/**
 * One CPU's run queue (OSv's `cpu::runqueue`, an intrusive red-black tree ordered by
 * `thread_runtime_compare`), as two indexed binary heaps: the real-time class, FIFO, served first;
 * then the fair and idle classes by (runtime, seq). O(log n) insert, pop and remove (each entry
 * carries its heap index), O(1) peek and count.
 *
 * Determinism: equal runtimes are served in insertion order. `insert` takes the next positive
 * sequence number (after its equals, OSv `insert_equal`); `insertFirstEqual` takes the next negative
 * one, so it goes before every equal already queued (OSv `insert_before(lower_bound)`), the place a
 * preempted entity returns to. Real-time entries all have runtime 0, so their heap is a FIFO by seq.
 */
import { assert } from '../runtime/assert.js';
import { InvariantError } from '../runtime/errors.js';
import { SchedClass } from './entity.js';

/** What the queue needs of an entry; `SchedEntity` has it all. */
export interface RunQueueEntry {
  readonly schedClass: SchedClass;
  runtime: number;
  seq: number;
  heapIndex: number;
}

export class RunQueue<TEntry extends RunQueueEntry> {
  private readonly realtime: TEntry[] = [];
  private readonly fair: TEntry[] = [];
  private seqLast = 0;
  private seqFirstLast = 0;

  constructor(readonly capacity: number) {
    assert(Number.isInteger(capacity) && capacity >= 1, 'a run queue holds at least one entry');
  }

  get count(): number {
    return this.realtime.length + this.fair.length;
  }

  /** The entry `pop` would return, without removing it. */
  peek(): TEntry | undefined {
    return this.realtime.length > 0 ? this.realtime[0] : this.fair[0];
  }

  /** Queues `entry` after every entry that compares equal. */
  insert(entry: TEntry): void {
    entry.seq = ++this.seqLast;
    this.push(entry);
  }

  /** Queues `entry` before every entry that compares equal (a preempted entity goes back first). */
  insertFirstEqual(entry: TEntry): void {
    entry.seq = -++this.seqFirstLast;
    this.push(entry);
  }

  /** Removes and returns the most deserving entry; the queue must not be empty. */
  pop(): TEntry {
    const heap = this.realtime.length > 0 ? this.realtime : this.fair;
    // Inline check rather than assert(): this runs once per pick.
    if (heap.length === 0) throw new InvariantError('pop from an empty run queue');
    return popTop(heap);
  }

  /** Removes a queued `entry` from wherever it is (a stop, a migration). */
  remove(entry: TEntry): void {
    const heap = this.heapOf(entry);
    const index = entry.heapIndex;
    assert(index >= 0 && index < heap.length && heap[index] === entry, 'remove an entry that is in this queue');
    removeAt(heap, index);
    assert(entry.heapIndex === -1, 'a removed entry has no heap index');
  }

  /** Calls `visit` on every queued entry, in no particular order. `visit` may change runtimes only uniformly. */
  forEach(visit: (entry: TEntry) => void): void {
    for (const entry of this.realtime) visit(entry);
    for (const entry of this.fair) visit(entry);
  }

  /**
   * Multiplies every fair runtime by `factor` (0 < factor ≤ 1; a renormalisation). A positive
   * factor keeps the order, except where a product falls below the smallest normal double: such a
   * runtime is flushed to 0 (its history is below 2^-1022 of the scale: none, as a newcomer's) and
   * the heap is rebuilt, so ties among them go by seq. Returns how many were flushed.
   */
  rescale(factor: number): number {
    assert(factor > 0 && factor <= 1, 'rescale by a factor in (0, 1]');
    const heap = this.fair;
    let flushed = 0;
    for (const entry of heap) {
      const runtime = entry.runtime * factor;
      if (entry.runtime !== 0 && Math.abs(runtime) < normalMin) {
        entry.runtime = 0;
        flushed++;
      } else {
        entry.runtime = runtime;
      }
    }
    if (flushed > 0) for (let index = (heap.length >> 1) - 1; index >= 0; index--) siftDown(heap, index);
    return flushed;
  }

  /** The queued entries in heap order (O(n): the balancer's scan, once per balance period). */
  toArray(): TEntry[] {
    return this.realtime.concat(this.fair);
  }

  /** The queued entries, most deserving first (O(n log n): tests, stats and the balancer's scan only). */
  toSortedArray(): TEntry[] {
    return [...this.realtime.slice().sort(compare), ...this.fair.slice().sort(compare)];
  }

  private push(entry: TEntry): void {
    assert(entry.heapIndex === -1, 'an entry is queued at most once');
    assert(this.count < this.capacity, () => `run queue full (${this.capacity} entries)`);
    const heap = this.heapOf(entry);
    assert(entry.schedClass !== SchedClass.realtime || entry.runtime === 0, 'real-time entries keep runtime 0');
    entry.heapIndex = heap.length;
    heap.push(entry);
    siftUp(heap, heap.length - 1);
  }

  private heapOf(entry: TEntry): TEntry[] {
    return entry.schedClass === SchedClass.realtime ? this.realtime : this.fair;
  }
}

/** The smallest normal double, 2^-1022: below it a product loses precision, and order with it. */
const normalMin = 2 ** -1022;

/** (runtime, seq) order; NaN never occurs (decayed-runtime.ts asserts it). */
export function compare(a: RunQueueEntry, b: RunQueueEntry): number {
  return a.runtime < b.runtime ? -1 : a.runtime > b.runtime ? 1 : a.seq - b.seq;
}

function less(a: RunQueueEntry, b: RunQueueEntry): boolean {
  return a.runtime < b.runtime || (a.runtime === b.runtime && a.seq < b.seq);
}

function removeAt<TEntry extends RunQueueEntry>(heap: TEntry[], index: number): void {
  const removed = heap[index]!;
  const last = heap.pop()!;
  removed.heapIndex = -1;
  if (last === removed) return;
  heap[index] = last;
  last.heapIndex = index;
  // The moved entry may belong above or below its new place; at most one of these moves it.
  siftUp(heap, index);
  if (last.heapIndex === index) siftDown(heap, index);
}

/**
 * Floyd's pop: walk the hole at the root down to a leaf along the smaller children (one comparison
 * per level), drop the last entry into it and sift that up. The last entry is usually among the
 * least deserving, so it rarely moves: about half the comparisons of a plain sift-down.
 */
function popTop<TEntry extends RunQueueEntry>(heap: TEntry[]): TEntry {
  const top = heap[0]!;
  const last = heap.pop()!;
  top.heapIndex = -1;
  const length = heap.length;
  if (length === 0) return top;
  let index = 0;
  for (let left = 1; left < length; left = 2 * index + 1) {
    const right = left + 1;
    const child = right < length && less(heap[right]!, heap[left]!) ? right : left;
    const moved = heap[child]!;
    heap[index] = moved;
    moved.heapIndex = index;
    index = child;
  }
  heap[index] = last;
  last.heapIndex = index;
  siftUp(heap, index);
  return top;
}

function siftUp<TEntry extends RunQueueEntry>(heap: TEntry[], index: number): void {
  const entry = heap[index]!;
  while (index > 0) {
    const parentIndex = (index - 1) >> 1;
    const parent = heap[parentIndex]!;
    if (!less(entry, parent)) break;
    heap[index] = parent;
    parent.heapIndex = index;
    index = parentIndex;
  }
  heap[index] = entry;
  entry.heapIndex = index;
}

function siftDown<TEntry extends RunQueueEntry>(heap: TEntry[], index: number): void {
  const length = heap.length;
  const entry = heap[index]!;
  for (;;) {
    const left = 2 * index + 1;
    if (left >= length) break;
    const right = left + 1;
    const child = right < length && less(heap[right]!, heap[left]!) ? right : left;
    const smallest = heap[child]!;
    if (!less(smallest, entry)) break;
    heap[index] = smallest;
    smallest.heapIndex = index;
    index = child;
  }
  heap[index] = entry;
  entry.heapIndex = index;
}
