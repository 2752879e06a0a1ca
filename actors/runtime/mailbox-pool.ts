import { assert } from '../../ground/assert.js';
import { Mailbox } from './mailbox.js';
import { mailboxPoolCountMax, mailboxPooledSlotsMax } from './limits.js';

/**
 * One CPU's empty mailboxes, for actors that get mail. An actor that has been idle for a while gives
 * its mailbox back here (the dispatcher decides when: `mailboxReclaimSleeps`) and takes one with its
 * next message. Most actors sit idle most of the time, and an idle actor then costs no mailbox
 * (about 145 bytes of a 560-byte actor); actors that talk keep theirs.
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

  /** Keeps `mailbox`, which must be empty and no longer any actor's, for the next `take`. */
  give(mailbox: Mailbox): void {
    assert(mailbox.count === 0, 'only an empty mailbox goes back to the pool');
    if (this.free.length < mailboxPoolCountMax && mailbox.slots <= mailboxPooledSlotsMax) this.free.push(mailbox);
  }
}
