/**
 * A forwarding address being switched to a shorter route (forwarding.ts). Mail that comes for it
 * while the fence is out waits here, in order; when the fence comes back, the held mail drains into
 * the actor as its mailbox takes it, and new mail queues behind until the hold is empty.
 *
 * Bounded without loss: if the hold fills before its fence is back (a flood, rings backed up), what
 * it holds goes down the old route after everything else on it, and a new fence after that. The
 * switch then waits for the new fence; under a sustained flood the mail keeps taking the old route,
 * in order, until a fence comes back first. A fence of another CPU that reaches the address waits
 * in line with the mail.
 */
import { assert } from '../../ground/assert.js';
import { InvariantError, MailboxFullError } from '../../ground/errors.js';
import { formatPid, type Pid } from '../../ground/pid.js';
import type { KernelFence } from '../../protocols/runtime.js';
import { fromReceive } from '../runtime/behavior.js';
import { Cell, Status } from '../runtime/cell.js';
import { messageTypeOf } from '../runtime/events.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { Mailbox } from '../runtime/mailbox.js';
import type { SystemItem } from '../runtime/system-lane.js';
import { forwardHoldDrainingMessagesMax, forwardHoldFencesMax } from './limits.js';
import type { RemoteCell } from './remote-cell.js';

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
  /** Sends a fence for `hold` down its old route, with a new number (its `serial` from then on). */
  sendFence(hold: ForwardHold): void;
}

export class ForwardHold extends Cell {
  private readonly waiting: Mailbox;
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
    /** The address being switched: a pid the actor had on this CPU. */
    readonly alias: Pid,
    /** The route being replaced, down which the fence went; control frames still take it. */
    readonly oldRoute: RemoteCell,
    /** The actor, here when the switch began; mail goes where it is when the fence comes back. */
    readonly actor: Cell,
    private readonly sink: HoldSink,
    /** Messages it holds at most; fences, a few per CPU, get room beyond (`forwardHoldFencesMax`). */
    private readonly capacity: number,
  ) {
    // A ref moved here reads the actor's pid, as it would once the switch is done.
    super(kernel, actor.pid, holdBehavior, undefined, null);
    this.status = Status.Running;
    this.waiting = new Mailbox(capacity + forwardHoldFencesMax);
    this.fencedAtMs = kernel.clock.now();
  }

  override isRemote(): boolean {
    return true;
  }

  override describe(): string {
    return `forwarding ${formatPid(this.alias)}`;
  }

  /** Monitors, links, signals and stops take the old route, which leads to the actor too; once drained, where the mail went. */
  override get controlCell(): Cell {
    return this.done ? this.target!.controlCell : this.oldRoute;
  }

  /** Holds `message` in line. Refused (false) only once the fence is back and the hold is full. */
  override deliver(message: unknown, origin: number): boolean {
    if (this.done) return this.target!.deliver(message, origin);
    if (this.waiting.count < this.capacity) return this.waiting.offer(message, origin, 0);
    if (this.target !== undefined) {
      // As a full mailbox refuses: a tell's sender keeps it, an ask fails now.
      if (origin < 0) this.kernel.asks.reject(-origin, new MailboxFullError(this.describe(), messageTypeOf(message), this.capacity));
      return false;
    }
    this.spill();
    return this.waiting.offer(message, origin, 0);
  }

  /** A signal for the actor (an exit from a linked one): it takes the old route, as stops and monitors do. */
  override pushSystem(item: SystemItem): void {
    this.oldRoute.pushSystem(item);
  }

  /**
   * Whether mail from another CPU may come in now, or must wait in its ring. While the fence is out,
   * everything comes in: the fence may be behind it in a ring, and a hold that refused it would wait
   * for itself. Once the fence is back, the hold is a short queue in front of the actor's mailbox
   * and pushes back as a mailbox does.
   */
  canTakeNow(): boolean {
    if (this.done) return this.sink.canTakeNow(this.target!);
    return this.target === undefined || this.waiting.count < forwardHoldDrainingMessagesMax;
  }

  /** Holds `fence` in line behind the mail held so far; false when even a fence finds no room (it takes the old route then). */
  holdFence(fence: KernelFence): boolean {
    return this.waiting.offer(new HeldFence(fence), 0, 0);
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
   * Full before the fence is back, or the fence is late (lost with a CPU, or dropped by a full
   * ring): what is held goes down the old route, and a new fence after it.
   */
  spill(): void {
    assert(this.target === undefined, 'a hold spills only while its fence is out');
    this.sendOn(this.oldRoute, false);
    this.fencedAtMs = this.kernel.clock.now();
    this.sink.sendFence(this);
  }

  private sendOn(target: Cell, paced: boolean): boolean {
    const waiting = this.waiting;
    const sink = this.sink;
    while (waiting.count > 0) {
      if (paced && !sink.canTakeNow(target)) return false;
      const message = waiting.shift();
      if (message instanceof HeldFence) sink.passFence(target, message.fence);
      else sink.deliverHere(target, message, waiting.shiftedOrigin);
    }
    return true;
  }
}
