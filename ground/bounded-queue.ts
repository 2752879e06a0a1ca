import { assert } from './assert.js';
import { InvariantError } from './errors.js';

/**
 * A FIFO on a power-of-two circular array that starts small, doubles on demand and never holds
 * more than `capacity` items: `push` returns false at the bound and the caller applies its policy.
 * Used for the dispatcher's run queue and each actor's system lane.
 */
export class BoundedQueue<T> {
  private items: (T | undefined)[];
  private head = 0;
  count = 0;

  constructor(
    readonly capacity: number,
    initialSlots = 16,
  ) {
    assert(capacity >= 1, 'a ring queue holds at least one item');
    assert(initialSlots > 0 && (initialSlots & (initialSlots - 1)) === 0, 'initial slots must be a power of two');
    this.items = new Array<T | undefined>(initialSlots).fill(undefined);
  }

  /** producer: appends `item` unless the queue is at its bound. */
  push(item: T): boolean {
    if (this.count >= this.capacity) return false;
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & (this.items.length - 1)] = item;
    this.count++;
    return true;
  }

  /** consumer: removes and returns the oldest item; the queue must not be empty. */
  shift(): T {
    // Inline check rather than assert(): this runs once per actor turn.
    if (this.count === 0) throw new InvariantError('shift from an empty ring queue');
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined;
    this.head = (this.head + 1) & (this.items.length - 1);
    this.count--;
    return item;
  }

  /** consumer: the oldest item, left in place; the queue must not be empty. */
  peek(): T {
    if (this.count === 0) throw new InvariantError('peek into an empty ring queue');
    return this.items[this.head] as T;
  }

  clear(): void {
    while (this.count > 0) this.shift();
  }

  private grow(): void {
    const length = this.items.length;
    const items = new Array<T | undefined>(length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) items[i] = this.items[(this.head + i) & (length - 1)];
    this.items = items;
    this.head = 0;
  }
}
