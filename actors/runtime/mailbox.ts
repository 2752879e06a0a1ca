import { assert } from './assert.js';
import { mailboxCapacityMax, mailboxInitialSlots } from './limits.js';

/**
 * What a full mailbox does with one more message.
 * - `reject`: refuse it; `tell` returns false and an `ask` fails at once. The sender keeps it.
 * - `drop-newest`: drop the new message into dead letters; `tell` returns false.
 * - `drop-oldest`: drop the oldest queued message into dead letters and queue the new one.
 */
export type OverflowPolicy = 'reject' | 'drop-newest' | 'drop-oldest';

/**
 * A bounded FIFO of user messages: a power-of-two circular buffer that starts small and doubles
 * up to `capacity`, never past it. A parallel array keeps each message's origin (the sender's pid,
 * or the negated ask id for an ask), so a dropped message can name its sender and an ask can be
 * answered. Why circular and not push/shift: node-limits.md §3a measured 3× the throughput.
 *
 * Single-threaded: the owning kernel is the only producer and consumer.
 */
export class Mailbox {
  private messages: unknown[];
  private origins: number[];
  /** Trace ids of the `send` events, allocated only once a traced message arrives. */
  private causes: number[] | null = null;
  private head = 0;
  /** Messages queued now. */
  count = 0;
  /** Origin of the message most recently returned by `shift` or `shiftOldest`. */
  shiftedOrigin = 0;
  /** Trace cause of the message most recently returned by `shift` (0 when untraced). */
  shiftedCause = 0;

  constructor(readonly capacity: number) {
    assert(Number.isInteger(capacity) && capacity >= 1 && capacity <= mailboxCapacityMax, () => `mailbox capacity must be an integer in [1, ${mailboxCapacityMax}], got ${capacity}`);
    const slots = Math.min(mailboxInitialSlots, ceilPowerOfTwo(capacity));
    this.messages = new Array<unknown>(slots).fill(undefined);
    this.origins = new Array<number>(slots).fill(0);
  }

  get isFull(): boolean {
    return this.count >= this.capacity;
  }

  /** producer: queues `message` unless the mailbox is at its bound; returns whether it did. */
  offer(message: unknown, origin: number, cause: number): boolean {
    if (this.count >= this.capacity) return false;
    if (this.count === this.messages.length) this.grow();
    const index = (this.head + this.count) & (this.messages.length - 1);
    this.messages[index] = message;
    this.origins[index] = origin;
    if (cause !== 0 || this.causes !== null) {
      if (this.causes === null) this.causes = new Array<number>(this.messages.length).fill(0);
      this.causes[index] = cause;
    }
    this.count++;
    return true;
  }

  /** consumer: the oldest message (its origin in `shiftedOrigin`); the mailbox must not be empty. */
  shift(): unknown {
    const index = this.head;
    const message = this.messages[index];
    this.shiftedOrigin = this.origins[index]!;
    this.shiftedCause = this.causes === null ? 0 : this.causes[index]!;
    // Clear the slot so a handled message can be collected while the actor sits idle.
    this.messages[index] = undefined;
    this.head = (index + 1) & (this.messages.length - 1);
    this.count--;
    return message;
  }

  /** Removes every message, oldest first, handing each with its origin to `sink`. */
  drain(sink: (message: unknown, origin: number) => void): void {
    while (this.count > 0) {
      const message = this.shift();
      sink(message, this.shiftedOrigin);
    }
  }

  private grow(): void {
    const length = this.messages.length;
    assert(length < this.capacity, 'a mailbox grows only below its capacity');
    const messages = new Array<unknown>(length * 2).fill(undefined);
    const origins = new Array<number>(length * 2).fill(0);
    const causes = this.causes === null ? null : new Array<number>(length * 2).fill(0);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i) & (length - 1);
      messages[i] = this.messages[from];
      origins[i] = this.origins[from]!;
      if (causes !== null) causes[i] = this.causes![from]!;
    }
    this.messages = messages;
    this.origins = origins;
    this.causes = causes;
    this.head = 0;
  }
}

function ceilPowerOfTwo(n: number): number {
  let power = 1;
  while (power < n) power *= 2;
  return power;
}
