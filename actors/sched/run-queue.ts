/**
 * One CPU's run queue (OSv's `cpu::runqueue`, an intrusive red-black tree ordered by
 * `thread_runtime_compare`), as two indexed heaps (ground/indexed-heap.ts): the real-time class,
 * FIFO, served first; then the fair and idle classes by (runtime, seq). O(log n) insert, pop and remove (each entry
 * carries its heap index), O(1) peek and count; O(1) insert and pop for a fair entry that goes ahead
 * of all the others (`fairFront`), the common wake of a busy CPU.
 *
 * Determinism: equal runtimes are served in insertion order. `insert` takes the next positive
 * sequence number (after its equals, OSv `insert_equal`); `insertFirstEqual` takes the next negative
 * one, so it goes before every equal already queued (OSv `insert_before(lower_bound)`), the place a
 * preempted entity returns to. Real-time entries all have runtime 0, so their heap is a FIFO by seq.
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { type HeapEntry, type IndexedHeap, indexedHeapOf } from '../../ground/indexed-heap.js';
import { SchedClass } from './entity.js';

/** What the queue needs of an entry; `SchedEntity` has it all. */
export interface RunQueueEntry extends HeapEntry {
  readonly schedClass: SchedClass;
  runtime: number;
  seq: number;
}

export class RunQueue<TEntry extends RunQueueEntry> {
  private readonly realtime = new RealtimeHeap<TEntry>();
  private readonly fair = new FairHeap<TEntry>();
  /**
   * A fair entry ahead of every one in `fair`, kept out of the heap, or null. On a busy CPU nearly
   * every wake puts the woken actor at the head (it slept while the others ran: 95 % of the wakes
   * on the 1000-actor ring), and the next pick takes it: held here, the wake and the pick are O(1)
   * where the heap sifted it up to the root and down again.
   */
  private fairFront: TEntry | null = null;
  /** Entries queued, both classes: read on every pick, so a field rather than two heap sizes. */
  private queued = 0;
  private seqLast = 0;
  private seqFirstLast = 0;

  /**
   * @param capacity entries at most.
   * @param seqMax the largest sequence number handed out before the queue renumbers (see `renumber`);
   *   tests make it small, to renumber often.
   */
  constructor(
    readonly capacity: number,
    private readonly seqMax = seqMaxDefault,
  ) {
    assert(Number.isInteger(capacity) && capacity >= 1, 'a run queue holds at least one entry');
    if (!(Number.isInteger(seqMax) && seqMax >= 1 && seqMax <= seqMaxDefault)) invariantBroken(`seqMax must be an integer in [1, ${seqMaxDefault}]`);
  }

  get count(): number {
    return this.queued;
  }

  /** The entry `pop` would return, without removing it. */
  peek(): TEntry | undefined {
    if (this.realtime.size > 0) return this.realtime.peek();
    return this.fairFront ?? this.fair.peek();
  }

  /** Queues `entry` after every entry that compares equal. */
  insert(entry: TEntry): void {
    if (this.seqLast >= this.seqMax) this.renumber();
    entry.seq = ++this.seqLast;
    this.push(entry);
  }

  /** Queues `entry` before every entry that compares equal (a preempted entity goes back first). */
  insertFirstEqual(entry: TEntry): void {
    if (this.seqFirstLast >= this.seqMax) this.renumber();
    entry.seq = -++this.seqFirstLast;
    this.push(entry);
  }

  /**
   * Gives the queued entries the sequence numbers 1, 2, ... in the order of their old ones and starts both counters
   * again: sequence numbers stay small integers, which V8 keeps inline. A number past 2^31 would turn
   * every entity's `seq` into a boxed double, 16 bytes more per actor, and a busy CPU inserts that
   * many in minutes. Once per `seqMax` inserts at most, O(n log n); ties keep their order, so the heaps stay valid.
   */
  private renumber(): void {
    this.foldFairFront();
    let seq = 0;
    for (const heap of [this.realtime, this.fair]) {
      // In the order of their sequence numbers, not the queue's: entries whose runtimes become equal
      // later (a renormalisation flushes the smallest to 0) still go in the order they came.
      const ordered = heap
        .entries()
        .slice()
        .sort((a, b) => a.seq - b.seq);
      for (const entry of ordered) entry.seq = ++seq;
    }
    this.seqLast = seq;
    this.seqFirstLast = 0;
  }

  /** Removes and returns the most deserving entry; the queue must not be empty. */
  pop(): TEntry {
    let entry: TEntry;
    if (this.realtime.size > 0) {
      entry = this.realtime.pop();
    } else if (this.fairFront !== null) {
      entry = this.takeFairFront();
    } else {
      entry = this.fair.pop();
    }
    this.queued--;
    return entry;
  }

  /** Removes a queued `entry` from wherever it is (a stop, a migration). */
  remove(entry: TEntry): void {
    if (entry === this.fairFront) this.takeFairFront();
    else this.heapOf(entry).remove(entry);
    this.queued--;
    assert(entry.heapIndex === -1, 'a removed entry has no heap index');
  }

  /** Calls `visit` on every queued entry, in no particular order. `visit` may change runtimes only uniformly. */
  forEach(visit: (entry: TEntry) => void): void {
    this.realtime.forEach(visit);
    if (this.fairFront !== null) visit(this.fairFront);
    this.fair.forEach(visit);
  }

  /**
   * Multiplies every fair runtime by `factor` (0 < factor ≤ 1; a renormalisation). A positive
   * factor keeps the order, except where a product falls below the smallest normal double: such a
   * runtime is flushed to 0 (its history is below 2^-1022 of the scale: none, as a newcomer's) and
   * the heap is reordered, so ties among them go by seq. Returns how many were flushed.
   */
  rescale(factor: number): number {
    assert(factor > 0 && factor <= 1, 'rescale by a factor in (0, 1]');
    // A flush may tie the front with heap entries, which then go by seq: the heap sorts it out.
    this.foldFairFront();
    let flushed = 0;
    // A plain loop, not a callback per entry: with 10 000 runnable actors a renormalisation comes
    // every few hundred picks, and a call per entry cost the pick 10 % (measured).
    for (const entry of this.fair.entries()) {
      const runtime = entry.runtime * factor;
      if (entry.runtime !== 0 && Math.abs(runtime) < normalMin) {
        entry.runtime = 0;
        flushed++;
      } else {
        entry.runtime = runtime;
      }
    }
    if (flushed > 0) this.fair.reorder();
    return flushed;
  }

  /** The queued entries in heap order (O(n): the balancer's scan, once per balance period). */
  toArray(): TEntry[] {
    return this.realtime.entries().concat(this.fairFront === null ? [] : [this.fairFront], this.fair.entries());
  }

  /** The queued entries, most deserving first (O(n log n): tests, stats and the balancer's scan only). */
  toSortedArray(): TEntry[] {
    return [
      ...this.realtime.entries().slice().sort(compare),
      ...(this.fairFront === null ? [] : [this.fairFront]),
      ...this.fair.entries().slice().sort(compare),
    ];
  }

  private push(entry: TEntry): void {
    if (entry.heapIndex !== -1) invariantBroken('an entry is queued at most once');
    if (this.queued >= this.capacity) invariantBroken(`run queue full (${this.capacity} entries)`);
    if (entry.schedClass === SchedClass.realtime && entry.runtime !== 0) invariantBroken('real-time entries keep runtime 0');
    this.queued++;
    if (entry.schedClass === SchedClass.realtime) {
      this.realtime.push(entry);
      return;
    }
    // The front slot holds an entry ahead of the whole heap: a new one ahead of it takes its place.
    const front = this.fairFront;
    if (front === null ? this.fair.size === 0 || less(entry, this.fair.peek()!) : less(entry, front)) {
      if (front !== null) this.fair.push(this.takeFairFront());
      this.fairFront = entry;
      entry.heapIndex = inFairFront;
      return;
    }
    this.fair.push(entry);
  }

  /** Puts the front entry, if any, in the heap (before work on every entry at once). */
  private foldFairFront(): void {
    if (this.fairFront !== null) this.fair.push(this.takeFairFront());
  }

  /** Empties the front slot (which must hold an entry) and returns its entry, in no heap now. */
  private takeFairFront(): TEntry {
    const front = this.fairFront!;
    this.fairFront = null;
    front.heapIndex = -1;
    return front;
  }

  private heapOf(entry: TEntry): IndexedHeap<TEntry> {
    return entry.schedClass === SchedClass.realtime ? this.realtime : this.fair;
  }
}

/** The `heapIndex` of the entry in the front slot (`fairFront`): queued, and in no heap. */
const inFairFront = -2;

/** The largest sequence number a counter hands out before the queue renumbers (see `renumber`). */
const seqMaxDefault = 2 ** 30;

/** The smallest normal double, 2^-1022: below it a product loses precision, and order with it. */
const normalMin = 2 ** -1022;

/** (runtime, seq) order; NaN never occurs (decayed-runtime.ts asserts it). */
export function compare(a: RunQueueEntry, b: RunQueueEntry): number {
  return a.runtime < b.runtime ? -1 : a.runtime > b.runtime ? 1 : a.seq - b.seq;
}

function less(a: RunQueueEntry, b: RunQueueEntry): boolean {
  return a.runtime < b.runtime || (a.runtime === b.runtime && a.seq < b.seq);
}

/**
 * The heap classes of run queues, every CPU's: one per scheduling class, so that each sees one kind
 * of array (the real-time heap is nearly always empty) and its size and peek stay monomorphic.
 */
const RealtimeHeap = indexedHeapOf<RunQueueEntry>(less);
const FairHeap = indexedHeapOf<RunQueueEntry>(less);
