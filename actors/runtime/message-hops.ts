/**
 * Which `send` events of the merged event stream are messages, and which are a message's hop: a
 * message to an actor of another CPU shows as a `send` on the sender's CPU (into the ring), then one
 * on the target's (into its mailbox), caused by the first; a message a route forwards hops again.
 * A view of messages (the page's flow, a sequence chart) shows each message once.
 *
 * The two `send`s of one message name the same sender and target, and the later one's `cause` is
 * the earlier one's id. They reach CPU 0 in either order when neither CPU is CPU 0 (each CPU
 * reports through its own ring), so whichever comes first is the message and the other its hop.
 * A hop whose message went unseen (reports dropped, or a view that started between the two) is
 * taken as the message. The ids it remembers are bounded: `idsRememberedMax` of each kind.
 *
 * @example
 * ```ts
 * const hops = new MessageHops();
 * kernel.events.subscribe((event) => {
 *   if (event.kind === 'send' && !hops.isHop(event)) draw(event.from, event.to, event.messageType);
 * });
 * ```
 */
import { assert } from '../../ground/assert.js';
import type { Pid } from '../../ground/pid.js';

/** Sends remembered to match their hops against, and causes to match later sends against, each. */
export const idsRememberedMax = 4_096;

interface Addressed {
  readonly from: Pid;
  readonly to: Pid;
}

export class MessageHops {
  private readonly sends: RememberedIds;
  private readonly causes: RememberedIds;

  constructor(remembered = idsRememberedMax) {
    assert(Number.isInteger(remembered) && remembered > 0, 'a MessageHops remembers at least one id');
    /** Sends seen, message or hop, by id: a later send they caused is a hop. */
    this.sends = new RememberedIds(remembered);
    /** The causes of sends seen, by id: a later send with that id is the message they hopped for. */
    this.causes = new RememberedIds(remembered);
  }

  /** Whether `send` is the hop of a message already seen (or the message of a hop already seen). */
  isHop(send: { readonly id: number; readonly cause: number } & Addressed): boolean {
    const hop = sameAddress(this.sends.get(send.cause), send) || sameAddress(this.causes.get(send.id), send);
    this.sends.set(send.id, send);
    if (send.cause !== 0) this.causes.set(send.cause, send);
    return hop;
  }
}

/** The addresses of the latest `capacity` ids set, the oldest forgotten first (a ring of ids beside a map). */
class RememberedIds {
  private readonly byId = new Map<number, Addressed>();
  private readonly order: number[];
  private next = 0;

  constructor(capacity: number) {
    this.order = new Array<number>(capacity).fill(-1);
  }

  get(id: number): Addressed | undefined {
    return this.byId.get(id);
  }

  set(id: number, send: Addressed): void {
    if (this.byId.has(id)) return;
    const oldest = this.order[this.next]!;
    if (oldest !== -1) this.byId.delete(oldest);
    this.order[this.next] = id;
    this.next = (this.next + 1) % this.order.length;
    this.byId.set(id, { from: send.from, to: send.to });
  }
}

function sameAddress(seen: Addressed | undefined, send: Addressed): boolean {
  return seen !== undefined && seen.from === send.from && seen.to === send.to;
}
