import { assert, invariantBroken } from '../../ground/assert.js';
import { ceilPowerOfTwo } from '../../ground/power-of-two.js';
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
 * up to `capacity`, never past it. Each message sits next to its origin (the sender's pid, or the
 * negated ask id for an ask) in one interleaved array, so a dropped message can name its sender
 * and an ask can be answered, at the cost of one array rather than two on the hot path.
 * Why circular and not push/shift: docs/measured-limits.md §3a measured 3× the throughput.
 *
 * Single-threaded: the owning kernel is the only producer and consumer.
 */
export class Mailbox {
  /** [message, origin, message, origin, …]: two entries per slot. */
  private entries: unknown[];
  /** Trace ids of the `send` events, one per slot, allocated only once a traced message arrives. */
  private causes: number[] | null = null;
  /** Entry index of the oldest message (always even). */
  private head = 0;
  /** Messages queued now. */
  count = 0;
  /** Origin of the message most recently returned by `shift`. */
  shiftedOrigin = 0;
  /** Trace cause of the message most recently returned by `shift` (0 when untraced). */
  shiftedCause = 0;
  /** In the dispatcher's ring of recent sleepers, to be given back to the pool if its actor stays idle. */
  awaitingReclaim = false;

  /** The bound, in messages (set again when the mailbox is reused: see MailboxPool). */
  capacity: number;

  constructor(capacity: number) {
    checkCapacity(capacity);
    this.capacity = capacity;
    const slots = Math.min(mailboxInitialSlots, ceilPowerOfTwo(capacity));
    this.entries = new Array<unknown>(slots * 2).fill(0);
  }

  /** Slots allocated now (a power of two, up to the capacity rounded up). */
  get slots(): number {
    return this.entries.length >> 1;
  }

  /** Makes this empty mailbox ready for another actor, bounded by `capacity`. */
  reuse(capacity: number): void {
    // On every wake of an actor that talks: mostly the same bound, and no trace causes.
    if (capacity !== this.capacity) {
      checkCapacity(capacity);
      this.capacity = capacity;
    }
    this.awaitingReclaim = false;
    // shiftedOrigin is set by every shift; shiftedCause only while there are causes.
    if (this.causes !== null) {
      this.causes = null;
      this.shiftedCause = 0;
    }
  }

  get isFull(): boolean {
    return this.count >= this.capacity;
  }

  /** producer: queues `message` unless the mailbox is at its bound; returns whether it did. */
  offer(message: unknown, origin: number, cause: number): boolean {
    if (this.count >= this.capacity) return false;
    let entries = this.entries;
    if (this.count * 2 === entries.length) entries = this.grow();
    const index = (this.head + this.count * 2) & (entries.length - 1);
    entries[index] = message;
    entries[index + 1] = origin;
    // Causes are kept only once a traced send had one: a method of its own, out of the hot path's bytes.
    if (cause !== 0 || this.causes !== null) this.recordCause(index, cause);
    this.count++;
    return true;
  }

  private recordCause(index: number, cause: number): void {
    if (this.causes === null) this.causes = new Array<number>(this.entries.length / 2).fill(0);
    this.causes[index >> 1] = cause;
  }

  /** consumer: the oldest message (its origin in `shiftedOrigin`); the mailbox must not be empty. */
  shift(): unknown {
    const entries = this.entries;
    const index = this.head;
    const message = entries[index];
    this.shiftedOrigin = entries[index + 1] as number;
    if (this.causes !== null) this.shiftedCause = this.causes[index >> 1]!;
    // Clear the slot so a handled message can be collected while the actor sits idle.
    entries[index] = 0;
    this.head = (index + 2) & (entries.length - 1);
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

  private grow(): unknown[] {
    const old = this.entries;
    const length = old.length;
    assert(length / 2 < this.capacity, 'a mailbox grows only below its capacity');
    const entries = new Array<unknown>(length * 2).fill(0);
    const causes = this.causes === null ? null : new Array<number>(length).fill(0);
    for (let i = 0; i < this.count; i++) {
      const from = (this.head + i * 2) & (length - 1);
      entries[i * 2] = old[from];
      entries[i * 2 + 1] = old[from + 1];
      if (causes !== null) causes[i] = this.causes![from >> 1]!;
    }
    this.entries = entries;
    this.causes = causes;
    this.head = 0;
    return entries;
  }
}

function checkCapacity(capacity: number): void {
  if (!(Number.isInteger(capacity) && capacity >= 1 && capacity <= mailboxCapacityMax)) {
    invariantBroken(`mailbox capacity must be an integer in [1, ${mailboxCapacityMax}], got ${capacity}`);
  }
}
