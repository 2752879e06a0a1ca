import { assert } from '../../ground/assert.js';
import type { Cell } from './cell.js';
import { Mailbox } from './mailbox.js';
import { mailboxPoolCountMax, mailboxPooledSlotsMax, mailboxReclaimSleeps } from './limits.js';

/**
 * One CPU's mailboxes between actors. An actor that has stayed idle for a while gives its empty
 * mailbox back here and takes one with its next message (`take`). Most actors sit idle most of the
 * time, and an idle actor then costs no mailbox (about 145 bytes of a 560-byte actor); actors that
 * talk keep theirs.
 *
 * "A while": each actor that runs dry with an empty mailbox joins a ring of the latest
 * `mailboxReclaimSleeps` such actors (`ranDry`); the one it pushes out gives its mailbox back if it
 * still sleeps on it empty. An actor already in the ring is not added again, so actors that talk
 * cost one flag test per turn and rarely meet the ring's end; one that does, asleep at that moment,
 * pays one `take` later. Taking an empty mailbox from a sleeping actor is always safe. The ring
 * holds up to `mailboxReclaimSleeps` cells, stopped ones too, until they are pushed out.
 *
 * Bounded both ways: at most `mailboxPoolCountMax` mailboxes, none larger than
 * `mailboxPooledSlotsMax` slots; what does not fit is left to the GC.
 *
 * @example
 * ```ts
 * const pool = new MailboxPool();
 * const mailbox = pool.take(1_000); // empty, bounded at 1000 messages
 * pool.give(mailbox);               // once it is empty again
 * ```
 */
export class MailboxPool {
  private readonly free: Mailbox[] = [];
  /** The latest actors that ran dry with an empty mailbox (see the class doc); made on first use, not at boot. */
  private sleepers: Array<Cell | null> | null = null;
  private sleeperNext = 0;

  /** Mailboxes waiting to be taken. */
  get size(): number {
    return this.free.length;
  }

  /** An empty mailbox bounded at `capacity` messages: a pooled one, or a new one. */
  take(capacity: number): Mailbox {
    const mailbox = this.free.pop();
    if (mailbox === undefined) return new Mailbox(capacity);
    mailbox.reuse(capacity);
    return mailbox;
  }

  /**
   * `cell` ran dry on `mailbox`, empty and not in the ring yet: it joins the ring of recent sleepers,
   * and the one it pushes out gives its mailbox back if it still sleeps on it empty.
   */
  ranDry(cell: Cell, mailbox: Mailbox): void {
    mailbox.awaitingReclaim = true;
    const slot = this.sleeperNext;
    this.sleeperNext = (slot + 1) & (mailboxReclaimSleeps - 1);
    const sleepers = (this.sleepers ??= new Array<Cell | null>(mailboxReclaimSleeps).fill(null));
    const oldest = sleepers[slot];
    sleepers[slot] = cell;
    if (oldest !== null) this.reclaim(oldest);
  }

  /** `cell` leaves the ring: its mailbox comes back here if the actor sleeps on it empty. */
  private reclaim(cell: Cell): void {
    const mailbox = cell.mailbox;
    if (mailbox === null) return;
    mailbox.awaitingReclaim = false;
    if (cell.scheduled || mailbox.count !== 0) return;
    cell.mailbox = null;
    this.give(mailbox);
  }

  /** Keeps `mailbox`, which must be empty and no longer any actor's, for the next `take`. */
  give(mailbox: Mailbox): void {
    assert(mailbox.count === 0, 'only an empty mailbox goes back to the pool');
    if (this.free.length < mailboxPoolCountMax && mailbox.slots <= mailboxPooledSlotsMax) this.free.push(mailbox);
  }
}
