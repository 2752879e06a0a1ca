/**
 * Where the mail of actors that moved goes. An actor that moves gets a new pid on its new CPU; refs
 * that others hold keep its old pids (its aliases), so each CPU it left keeps a route from the pid it
 * had there to where it went, and mail to an old pid follows the routes, in order. Nothing waits for
 * the new pid: the move's frame carries the old one, and mail sent after the move right behind it is
 * addressed to that (see RemoteCell.alias), so a move holds no mail and refuses none.
 *
 * Routes stay short. When the actor leaves a CPU, every route there that led to it leads to its new
 * CPU. When it comes back to a CPU it had left, that CPU's routes for it are switched to lead to it
 * directly, but only once the mail already on the old route has arrived: a fence (`kernel.fence`) goes
 * down the old route behind that mail, and until the CPU where it finds the actor answers
 * (`kernel.fenced`), mail to the alias waits in a hold (forward-hold.ts), which then drains into the
 * actor's mailbox as it has room, as a ring would. So a route leads to the CPU
 * the actor went to when it last left, every route followed from a CPU moves forward in the actor's
 * travels, and mail to any old pid crosses at most one CPU per other CPU (0 → 1 → 0 becomes 0).
 *
 * Per sender, order holds: a sender's mail to one pid takes one route, and a route changes only
 * when the actor leaves (what came before went with it, in its mailbox) or after its fence.
 *
 * Refs are routes too: the ref objects of this CPU that led to the actor when it left (shared by
 * every holder here) lead to its stand-in, and when it comes back, through the hold, to it again.
 */
import { pidCpu, type Pid } from '../../ground/pid.js';
import { KERNEL_FENCE, KERNEL_FENCED, kernelFence, kernelFenced, type KernelFence } from '../../protocols/runtime.js';
import { type Cell, Status } from '../runtime/cell.js';
import type { Message } from '../../ground/message.js';
import type { ActorRef } from '../runtime/ref.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import { ForwardHold, type HoldSink } from './forward-hold.js';
import { aliasesCarriedMax, fenceRetryMs, forwardHoldMessagesMax, outboxRetryMs } from './limits.js';
import type { TimerHandle } from '../../drivers/clock/clock.js';
import { RemoteCell } from './remote-cell.js';

export class Forwarding implements HoldSink {
  readonly frames: readonly FrameType[] = [
    defineFrameType(kernelFence, (message) => this.passFence(this.mailRoute(message.to) ?? null, message)),
    defineFrameType(kernelFenced, (message) => this.fenced(message.alias, message.serial)),
  ];
  /** Old pids of actors that moved (from this CPU, or to it) → where their mail goes now. */
  private readonly routes = new Map<Pid, Cell>();
  /** The aliases of each actor that arrived here, for its next move. */
  private readonly aliases = new WeakMap<Cell, readonly Pid[]>();
  /** Ref objects of this CPU moved to a cell other than their own (see `repoint`). */
  private readonly movedRefs = new WeakMap<Cell, ActorRef<Message>[]>();
  /** Holds in place: their fence is out, or back and they drain into their actor. */
  private readonly holds = new Set<ForwardHold>();
  /** The holds whose fence is back. */
  private readonly draining = new Set<ForwardHold>();
  private retryTimer: TimerHandle | null = null;
  /** The number of the next fence (see ForwardHold.serial). */
  private nextSerial = 1;

  constructor(private readonly node: CpuNode) {}

  /** Where mail to `pid` goes: the actor here, a stand-in on the way to it, or a hold; undefined: nowhere. */
  mailRoute(pid: Pid): Cell | undefined {
    return this.node.kernel.cellOf(pid) ?? this.route(pid);
  }

  /** Where other frames for `pid` go (stops, monitors, links): a hold's old route, which leads to the actor too. */
  controlRoute(pid: Pid): Cell | undefined {
    const route = this.route(pid);
    return route instanceof ForwardHold ? route.oldRoute : route;
  }

  /** The route of `pid`, past holds that are done (a route switched to a hold while it drained). */
  private route(pid: Pid): Cell | undefined {
    let route = this.routes.get(pid);
    if (!(route instanceof ForwardHold) || !route.done) return route;
    while (route instanceof ForwardHold && route.done) route = route.target!;
    this.routes.set(pid, route);
    return route;
  }

  /** The pids local actor `cell` had before it came here (empty if it never moved). */
  aliasesOf(cell: Cell): readonly Pid[] {
    return this.aliases.get(cell) ?? [];
  }

  /** Local actor `cell` left for the CPU of `stand`, its stand-in here: its routes lead there now. */
  departed(cell: Cell, stand: RemoteCell): void {
    stand.alias = cell.pid;
    (stand as { ref: Cell['ref'] }).ref = cell.ref;
    this.repoint(cell, stand);
    this.routes.set(cell.pid, stand);
    for (const alias of this.aliasesOf(cell)) {
      const route = this.routes.get(alias);
      if (route === cell) this.routes.set(alias, stand);
      // What a hold has yet to drain is newer than the mailbox that just left: it follows it.
      else if (route instanceof ForwardHold && route.target === cell) route.target = stand;
    }
    this.aliases.delete(cell);
  }

  /** Actor `cell` arrived, having been `from` on the CPU it left and `aliases` before that. */
  arrived(cell: Cell, from: Pid, aliases: readonly Pid[]): void {
    // The newest only: an older alias left out keeps its route, which leads on to the actor the long way.
    this.aliases.set(cell, [...aliases, from].slice(-aliasesCarriedMax));
    // Mail its last CPU sent before it learnt the new pid is addressed to the old one.
    this.routes.set(from, cell);
    for (const alias of aliases) if (pidCpu(alias) === this.node.cpu) this.shorten(alias, cell);
  }

  /** Local actor `cell` stopped: mail to its aliases is a dead letter from now on, as to its pid. */
  stopped(cell: Cell): void {
    for (const alias of this.aliasesOf(cell)) if (this.routes.get(alias) === cell) this.routes.delete(alias);
    this.aliases.delete(cell);
  }

  /** The actor behind stand-in `cell` is gone: nothing is forwarded to it. */
  gone(cell: RemoteCell): void {
    for (const [pid, route] of this.routes) if (route === cell) this.routes.delete(pid);
  }

  /** Moves held mail on where the actor's mailbox has room again; called after every busy round. */
  flush(): void {
    for (const hold of this.draining) {
      if (!hold.drain()) continue;
      this.draining.delete(hold);
      this.holds.delete(hold);
      hold.done = true;
      const target = hold.target!;
      this.repoint(hold, target);
      if (this.routes.get(hold.alias) === hold) this.routes.set(hold.alias, target);
    }
    // A fence that does not come back (lost with a CPU, dropped by a full ring) is sent again.
    const now = this.holds.size > this.draining.size ? this.node.kernel.clock.now() : 0;
    for (const hold of this.holds) if (hold.target === undefined && now - hold.fencedAtMs >= fenceRetryMs) hold.spill();
    if (this.holds.size > 0) this.armRetry();
  }

  /** Messages and fences waiting in holds. */
  get waiting(): number {
    let count = 0;
    for (const hold of this.holds) count += hold.count;
    return count;
  }

  /** CPU `cpu` died: fences that went through it are lost with it, so their holds let go now. */
  cpuDown(cpu: number): void {
    for (const hold of this.holds) if (hold.oldRoute.cpu === cpu) this.fenced(hold.alias, hold.serial);
  }

  /**
   * Starts switching the route of `alias`, a pid the actor `here` had on this CPU, to lead to it
   * directly: a fence down the old route, and a hold for what comes meanwhile.
   */
  private shorten(alias: Pid, here: Cell): void {
    const route = this.routes.get(alias);
    // A switch under way finds the actor wherever it is when its fence arrives.
    if (route instanceof ForwardHold || route === here) return;
    if (!(route instanceof RemoteCell) || route.status >= Status.Stopping || this.node.isDown(route.cpu)) {
      // No mail is on its way along a route that does not exist or ends in a dead CPU.
      this.routes.set(alias, here);
      return;
    }
    const hold = new ForwardHold(this.node.kernel, alias, route, here, this, forwardHoldMessagesMax);
    this.holds.add(hold);
    this.routes.set(alias, hold);
    // Senders here holding the ref it had wait behind the old route's mail too.
    this.repoint(route, hold);
    this.sendFence(hold);
    this.armRetry();
  }

  sendFence(hold: ForwardHold): void {
    const serial = (hold.serial = this.nextSerial++);
    const route = hold.oldRoute;
    if (this.node.isDown(route.cpu)) {
      // Nothing on a route through a dead CPU is coming: the fence is as good as back (later, not
      // inside the hold's own delivery).
      this.node.kernel.clock.schedule(() => this.fenced(hold.alias, serial));
      return;
    }
    this.node.send(route.cpu, { type: KERNEL_FENCE, alias: hold.alias, to: route.address, origin: this.node.cpu, serial });
  }

  /** Passes `fence` on to `target`, where mail to its address goes here, or answers it: the actor is here, or gone. */
  passFence(target: Cell | null, fence: KernelFence): void {
    // Mail held here goes first: the fence waits in line behind it.
    if (target instanceof ForwardHold) {
      if (target.done) this.passFence(target.target!, fence);
      else if (!target.holdFence(fence)) this.passFence(target.oldRoute, fence);
      return;
    }
    if (target instanceof RemoteCell && target.status < Status.Stopping && !this.node.isDown(target.cpu)) {
      this.node.send(target.cpu, { ...fence, to: target.address });
      return;
    }
    // Everything sent down the route before the fence has reached the actor here (or found it gone).
    if (fence.origin === this.node.cpu) this.fenced(fence.alias, fence.serial);
    else this.node.send(fence.origin, { type: KERNEL_FENCED, alias: fence.alias, serial: fence.serial });
  }

  /** Fence `serial` for `alias` came back: the old route is drained, so the hold drains to where the actor is. */
  private fenced(alias: Pid, serial: number): void {
    const hold = this.routes.get(alias);
    // A fence sent before the hold spilled mail down the old route completes nothing: that mail is behind it.
    if (!(hold instanceof ForwardHold) || hold.target !== undefined || hold.serial !== serial) return;
    const actor = hold.actor;
    // Here still, or moved on (its route leads there), or stopped (a stand-in whose mail is dead letters).
    hold.target =
      actor.status < Status.Stopping && this.node.kernel.cellOf(actor.pid) === actor
        ? actor
        : (this.routes.get(actor.pid) ?? this.node.refs.stoppedStandIn(actor.pid));
    this.draining.add(hold);
    this.flush();
  }

  canTakeNow(cell: Cell): boolean {
    return this.node.canTakeNow(cell);
  }

  deliverHere(target: Cell, message: unknown, origin: number): void {
    this.node.deliverHere(target, message, origin);
  }

  /**
   * Makes the ref objects of this CPU that lead to `from` (its own, and those moved to it) lead to
   * `to`: every holder of them sends there from now on.
   */
  private repoint(from: Cell, to: Cell): void {
    // A hold's own ref is never handed out.
    const own = from instanceof ForwardHold ? [] : [from.ref];
    const refs = [...own, ...(this.movedRefs.get(from) ?? [])].filter((ref) => ref.cell === from);
    this.movedRefs.delete(from);
    for (const ref of refs) ref.cell = to;
    const moved = refs.filter((ref) => ref !== to.ref);
    if (moved.length > 0) this.movedRefs.set(to, [...(this.movedRefs.get(to) ?? []), ...moved]);
  }

  private armRetry(): void {
    if (this.retryTimer !== null) return;
    this.retryTimer = this.node.kernel.clock.setTimer(outboxRetryMs, () => {
      this.retryTimer = null;
      this.flush();
    });
  }
}
