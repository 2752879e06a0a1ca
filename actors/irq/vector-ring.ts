import { assert, invariantBroken } from '../../ground/assert.js';
import { InvariantError } from '../../ground/errors.js';
import { ringCapacityEventsMax, ringCapacityEventsMin } from './limits.js';

/**
 * The bounded ring of one interrupt vector: a power-of-two circular array of plain JS values,
 * allocated once, used by one thread (the ISR produces, the handler's wake consumes, both on the
 * CPU's event loop).
 *
 * Overflow policy: **drop-newest-and-count**. A full ring refuses the new event, counts an overrun
 * and never grows: like a NIC whose descriptor ring is full, the device loses the newest packet,
 * and the events already recorded (older, and already promised to the handler) stay in order.
 *
 * @example
 * ```ts
 * const ring = new VectorRing<number>(4);
 * for (let n = 0; n < 6; n++) ring.push(n); // 4 and 5 are overruns
 * ring.take(10); // [0, 1, 2, 3]
 * ring.overruns; // 2
 * ```
 */
export class VectorRing<T> {
  private readonly items: (T | undefined)[];
  private readonly mask: number;
  private head = 0;
  /** Events recorded and not yet taken. */
  count = 0;
  /** Events refused because the ring was full, since creation. */
  overruns = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= ringCapacityEventsMin && capacity <= ringCapacityEventsMax && (capacity & (capacity - 1)) === 0)) {
      invariantBroken(`a vector ring holds a power of two of events within ${ringCapacityEventsMin}..${ringCapacityEventsMax}, not ${capacity}`);
    }
    // Filled, not holey: V8 keeps a packed elements kind, and every slot exists from the start.
    this.items = new Array<T | undefined>(capacity).fill(undefined);
    this.mask = capacity - 1;
  }

  /** producer (the ISR): records `event`; false, and one more overrun, when the ring is full. */
  push(event: T): boolean {
    const count = this.count;
    if (count === this.capacity) {
      this.overruns++;
      return false;
    }
    this.items[(this.head + count) & this.mask] = event;
    this.count = count + 1;
    return true;
  }

  /**
   * consumer (the handler's wake): removes up to `max` of the oldest events and returns them in
   * order, as a fresh array the handler may keep.
   */
  take(max: number): T[] {
    const n = this.count < max ? this.count : max;
    const out = new Array<T>(n);
    const items = this.items;
    const mask = this.mask;
    let head = this.head;
    for (let i = 0; i < n; i++) {
      out[i] = items[head] as T;
      // Let the handler's copy be the only reference, so delivered events can be collected.
      items[head] = undefined;
      head = (head + 1) & mask;
    }
    this.head = head;
    this.count -= n;
    if (this.count < 0) throw new InvariantError('a vector ring took more events than it held');
    return out;
  }

  /** Drops every recorded event (the vector is being freed); returns how many there were. */
  clear(): number {
    const dropped = this.count;
    this.take(dropped);
    assert(this.count === 0, 'a cleared ring is empty');
    return dropped;
  }
}
