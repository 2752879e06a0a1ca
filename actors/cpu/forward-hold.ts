/**
 * A forwarding address being switched to a shorter route (forwarding.ts). Mail that comes for it
 * while the fence is out waits here, in order; when the fence comes back, the held mail drains into
 * the actor as its mailbox takes it, and new mail queues behind until the hold is empty.
 *
 * Bounded without loss: a local actor that sends past the hold's capacity while the fence is out
 * is parked until there is room (Hold.Switching), as a full ring parks it, so a local flood cannot
 * keep the fence from getting through. Mail from other CPUs cannot be parked from here: if it fills
 * the hold, what is held goes down the old route after everything else on it, and a new fence after
 * that; more waits in its ring while that route's outbox is too full (see `canTakeNow`). A fence of
 * another CPU that reaches the address waits in line with the mail.
 */
import { assert } from '../../ground/assert.js';
import { InvariantError, MailboxFullError } from '../../ground/errors.js';
import { formatPid, type Pid } from '../../ground/pid.js';
import type { KernelFence } from '../../protocols/runtime.js';
import { fromReceive } from '../runtime/behavior.js';
import { Cell, Hold, Status } from '../runtime/cell.js';
import { messageTypeOf } from '../runtime/events.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { Mailbox } from '../runtime/mailbox.js';
import type { SystemItem } from '../runtime/system-lane.js';
import { forwardHoldDrainingMessagesMax, forwardHoldFencesMax, forwardHoldParkedMessagesMax } from './limits.js';
import type { RemoteCell } from './remote-cell.js';

/** Where an actor is: its pid there, after `moves` moves (more moves: newer news). */
export interface Whereabouts {
  readonly pid: Pid;
  readonly moves: number;
}

const holdBehavior = fromReceive(() => {
  throw new InvariantError('a forwarding hold never runs a behaviour');
}, 'forwarding');

/** A fence of another CPU, in line with the mail it must stay behind. */
class HeldFence {
  constructor(readonly fence: KernelFence) {}
}

/** What a hold hands its mail to (Forwarding). */
export interface HoldSink {
  /** Whether `cell` can take a message now (see CpuNode.canTakeNow). */
  canTakeNow(cell: Cell): boolean;
  deliverHere(target: Cell, message: unknown, origin: number): void;
  passFence(target: Cell, fence: KernelFence): void;
  /** Counts `delta` messages held from `sender` (a pid, 0 for none): an actor whose mail is held does not move. */
  countHeld(sender: Pid, delta: number): void;
  /** Sends a fence for `hold` down its old route, with a new number (its `serial` from then on) unless given one. */
  sendFence(hold: ForwardHold, serial?: number): void;
}

export class ForwardHold extends Cell {
  /**
   * What it holds, in order. A message's `cause` slot keeps its sender's pid instead (0 for none):
   * held mail carries no trace cause, and the count of each sender's held mail needs it back.
   */
  private readonly waiting: Mailbox;
  /** Local actors that sent past `capacity` while the fence was out: they wait for room (Hold.Switching). */
  private readonly parked = new Set<Cell>();
  /**
   * The number of the fence whose return completes the switch, unique on this CPU: an earlier
   * fence of this hold, or of an earlier switch of the same address, completes nothing.
   */
  serial = 0;
  /** When the current fence went out: one that does not come back in time is sent again (Forwarding.flush). */
  fencedAtMs: number;
  /**
   * Drained and out of the routes: a route or ref that still leads here (it was switched to this
   * hold while it drained) passes straight through to `target`.
   */
  done = false;
  /** Where the held mail goes once the fence is back (a stopped stand-in if the actor is gone); undefined while it is out. */
  target: Cell | undefined = undefined;

  constructor(
    kernel: KernelCore,
    /**
     * The route being replaced, down which the fence went; control frames still take it. The route
     * the hold drains into, if news says that one leads round a detour too (see `refence`).
     */
    public oldRoute: RemoteCell,
    /**
     * Where the actor is, as far as this CPU knows: newer news replaces it while the fence is out,
     * and the fence's answer, if newer still, where the held mail goes.
     */
    public location: Whereabouts,
    private readonly sink: HoldSink,
    /**
     * Messages it holds before it parks their local senders (and spills what other CPUs send).
     * Parked senders finish their turn (`forwardHoldParkedMessagesMax`), and fences, a few per
     * CPU, get room beyond (`forwardHoldFencesMax`).
     */
    private readonly capacity: number,
  ) {
    // A ref moved here reads the actor's pid, as it would once the switch is done.
    super(kernel, location.pid, holdBehavior, undefined, null);
    this.status = Status.Running;
    this.waiting = new Mailbox(capacity + forwardHoldParkedMessagesMax + forwardHoldFencesMax);
    this.fencedAtMs = kernel.clock.now();
  }

  override isRemote(): boolean {
    return true;
  }

  override describe(): string {
    return `forwarding ${formatPid(this.oldRoute.address)}`;
  }

  /** Monitors, links, signals and stops take the old route, which leads to the actor too; once drained, where the mail went. */
  override get controlCell(): Cell {
    return this.done ? this.target!.controlCell : this.oldRoute;
  }

  /**
   * Holds `message` in line. Past the hold's capacity while the fence is out, a local actor that
   * sends it is parked (backpressure: the switch completes, as the fence gets through the old route
   * that it no longer floods); from anywhere else, it spills. Refused (false) only once the fence is
   * back and the hold is full.
   */
  override deliver(message: unknown, origin: number): boolean {
    if (this.done) return this.target!.deliver(message, origin);
    const waiting = this.waiting;
    if (waiting.count < this.capacity) return this.hold(message, origin);
    if (this.target !== undefined) {
      // As a full mailbox refuses: a tell's sender keeps it, an ask fails now.
      if (origin < 0) this.kernel.asks.reject(-origin, new MailboxFullError(this.describe(), messageTypeOf(message), this.capacity));
      return false;
    }
    const sender = this.kernel.current;
    if (sender !== null && !sender.isRemote() && waiting.count < this.capacity + forwardHoldParkedMessagesMax) {
      sender.held |= Hold.Switching;
      this.parked.add(sender);
      return this.hold(message, origin);
    }
    this.spill();
    return this.hold(message, origin);
  }

  private hold(message: unknown, origin: number): boolean {
    const sender = origin > 0 ? origin : origin < 0 ? this.kernel.asks.senderOf(-origin) : 0;
    if (!this.waiting.offer(message, origin, sender)) return false;
    this.sink.countHeld(sender, 1);
    return true;
  }

  /** A signal for the actor (an exit from a linked one): it takes the old route, as stops and monitors do. */
  override pushSystem(item: SystemItem): void {
    this.oldRoute.pushSystem(item);
  }

  /**
   * Whether mail from another CPU may come in now, or must wait in its ring. While the fence is out,
   * mail comes in while the hold has room: the fence may be behind it in a ring, and a hold that
   * refused it would wait for itself. Full, the hold spills down the old route, and mail comes in
   * only while that route takes forwarded mail (CpuNode.canTakeNow), as mail forwarded on any route
   * does; otherwise it waits in its ring until the route's outbox drains, which does not depend on
   * the fence (see `spill` for what taking it in regardless did). Once the fence is back, the hold
   * is a short queue in front of the actor's mailbox and pushes back as a mailbox does.
   */
  canTakeNow(): boolean {
    if (this.done) return this.sink.canTakeNow(this.target!);
    if (this.target !== undefined) return this.waiting.count < forwardHoldDrainingMessagesMax;
    return this.waiting.count < this.capacity || this.sink.canTakeNow(this.oldRoute);
  }

  /** Holds `fence` in line behind the mail held so far; false when even a fence finds no room (it takes the old route then). */
  holdFence(fence: KernelFence): boolean {
    return this.waiting.offer(new HeldFence(fence), 0, 0);
  }

  /**
   * Stops draining into `route`, its target, which news says leads where the actor was: the hold
   * switches that route in turn, holding again until a fence sent down it comes back. What it sent
   * down it so far arrives first; drained on, its mail could go round a loop (the actor came back
   * to this CPU) that a flood both ways fills until each CPU waits for the other.
   */
  refence(route: RemoteCell): void {
    assert(this.target === route && !this.done, 'a hold switches the route it drains into');
    this.oldRoute = route;
    this.target = undefined;
    this.fencedAtMs = this.kernel.clock.now();
  }

  /** Sends held mail on to `target`, in order, while it can take it; true when nothing is left. */
  drain(): boolean {
    const target = this.target;
    assert(target !== undefined, 'a hold drains once its fence is back');
    return this.sendOn(target, true);
  }

  /** Messages and fences held. */
  get count(): number {
    return this.waiting.count;
  }

  /**
   * Full before the fence is back, with mail no local actor sent: what is held goes down the old
   * route, oldest first, while that route takes forwarded mail, and a new fence after it. Paced:
   * hold after hold sent whole (65,536 messages each) went past the outbox's must-arrive reserve,
   * its mail and then its fences became ring-full dead letters, and the switch never completed.
   * What stays held waits for the new fence, as mail held behind a fence does.
   */
  private spill(): void {
    assert(this.target === undefined, 'a hold spills only while its fence is out');
    const before = this.waiting.count;
    this.sendOn(this.oldRoute, true);
    if (this.waiting.count === before) return;
    this.fencedAtMs = this.kernel.clock.now();
    this.sink.sendFence(this);
  }

  private sendOn(target: Cell, paced: boolean): boolean {
    const waiting = this.waiting;
    const sink = this.sink;
    let empty = true;
    while (waiting.count > 0) {
      if (paced && !sink.canTakeNow(target)) {
        empty = false;
        break;
      }
      const message = waiting.shift();
      if (message instanceof HeldFence) {
        sink.passFence(target, message.fence);
      } else {
        sink.countHeld(waiting.shiftedCause, -1);
        sink.deliverHere(target, message, waiting.shiftedOrigin);
      }
    }
    if (waiting.count < this.capacity && this.parked.size > 0) {
      for (const cell of this.parked) this.kernel.dispatcher.lift(cell, Hold.Switching);
      this.parked.clear();
    }
    return empty;
  }
}
