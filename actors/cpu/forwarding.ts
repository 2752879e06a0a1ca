/**
 * Where the mail of actors that moved goes. An actor that moves gets a new pid on its new CPU; refs
 * that others hold keep its old pids (its aliases), so each CPU it left keeps a route from the pid it
 * had there to where it went, and mail to an old pid follows the routes, in order. Nothing waits for
 * the new pid: the move's frame carries the old one, and mail sent after the move right behind it is
 * addressed to that (see RemoteCell.alias), so a move holds no mail and refuses none.
 *
 * Routes stay short. When the actor arrives at a CPU, that CPU switches its routes and refs that
 * lead to the actor's old pids to lead to it, and tells every other CPU where it is now
 * (`kernel.relocated`, with its count of moves, so older news never undoes newer). Each CPU switches
 * its routes and refs to the actor's newest pid, but only once the mail already on the old route has
 * arrived: a fence (`kernel.fence`) goes down the old route behind that mail, and until the CPU where
 * it finds the actor answers (`kernel.fenced`), mail to the alias waits in a hold (forward-hold.ts),
 * which then drains into the actor (or on towards it) as it has room, as a ring would. Once the news
 * has spread, mail to any old pid crosses at most one CPU on its way.
 *
 * Routes stay few: a CPU keeps routes only for the pids the actor still carries (its last
 * `aliasesCarriedMax`), and drops older ones when it hears of a move.
 *
 * Per sender, order holds: a sender's mail to one pid takes one route, and a route changes only
 * when the actor leaves (what came before went with it, in its mailbox) or after its fence.
 *
 * Refs are routes too: the ref objects of this CPU that led to the actor when it left (shared by
 * every holder here) lead to its stand-in, and when news of a move comes, through a hold, to where
 * it is.
 */
import { pidCpu, type Pid } from '../../ground/pid.js';
import { KERNEL_FENCE, KERNEL_FENCED, KERNEL_RELOCATED, kernelFence, kernelFenced, kernelRelocated, type KernelFence } from '../../protocols/runtime.js';
import { type Cell, Status } from '../runtime/cell.js';
import type { Message } from '../../ground/message.js';
import type { ActorRef } from '../runtime/ref.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import { ForwardHold, type HoldSink, type Whereabouts } from './forward-hold.js';
import { aliasesCarriedMax, fenceRetryMs, forwardHoldMessagesMax, outboxRetryMs } from './limits.js';
import type { TimerHandle } from '../../drivers/clock/clock.js';
import { RemoteCell } from './remote-cell.js';
import { RouteTable } from './route-table.js';

/** What an actor that arrived here carries on: the pids it had before (newest last) and how many moves it made. */
interface Travels {
  readonly aliases: readonly Pid[];
  readonly moves: number;
}

/** A fence's answer that found the actor gone. */
const nowhere: Whereabouts = { pid: 0, moves: 0 };

export class Forwarding implements HoldSink {
  readonly frames: readonly FrameType[] = [
    defineFrameType(kernelFence, (message) => this.passFence(this.mailRoute(message.to) ?? null, message)),
    defineFrameType(kernelFenced, (message) => this.fenced(message.serial, { pid: message.pid, moves: message.moves })),
    defineFrameType(kernelRelocated, (message) => this.relocate(message.aliases as Pid[], { pid: message.pid, moves: message.moves })),
  ];
  /** Old pids of actors that moved (from this CPU, or to it) → where their mail goes now. */
  private readonly routes = new RouteTable();
  /** The travels of each actor that arrived here, for its next move. */
  private readonly travels = new WeakMap<Cell, Travels>();
  /** How new the whereabouts a stand-in was switched to are (their `moves`): older news leaves it as it is. */
  private readonly news = new WeakMap<Cell, number>();
  /** Ref objects of this CPU moved to a cell other than their own (see `repoint`). */
  private readonly movedRefs = new WeakMap<Cell, ActorRef<Message>[]>();
  /** Holds in place: their fence is out, or back and they drain into their actor. */
  private readonly holds = new Set<ForwardHold>();
  /** Messages held per local sender (see `holdsMailOf`). */
  private readonly heldBySender = new Map<Pid, number>();
  /**
   * Fences out, by number: what each one's return does (a hold's switch completes, or a sweep of
   * every route counts one more back). A number no longer here completes nothing.
   */
  private readonly fencesOut = new Map<number, (found: Whereabouts) => void>();
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
    const route = this.routes.get(pid);
    if (!(route instanceof ForwardHold) || !route.done) return route;
    const settled = pastDone(route);
    this.routes.set(pid, settled);
    return settled;
  }

  /** The ref mail to old pid `pid` follows here (one of this CPU's, switched with its routes); undefined if it has no live route. */
  refOf(pid: Pid): ActorRef<Message> | undefined {
    const route = this.route(pid);
    if (route === undefined || route.status >= Status.Stopping) return undefined;
    // A hold's own ref is never handed out: the ref of the route it replaces leads to it.
    return route instanceof ForwardHold ? route.oldRoute.ref : route.ref;
  }

  /** The pids local actor `cell` had before it came here (empty if it never moved). */
  aliasesOf(cell: Cell): readonly Pid[] {
    return this.travels.get(cell)?.aliases ?? [];
  }

  /** How many moves local actor `cell` made to get here. */
  movesOf(cell: Cell): number {
    return this.travels.get(cell)?.moves ?? 0;
  }

  /** Local actor `cell` left for the CPU of `stand`, its stand-in here: its routes lead there now. */
  departed(cell: Cell, stand: RemoteCell): void {
    stand.alias = cell.pid;
    (stand as { ref: Cell['ref'] }).ref = cell.ref;
    this.news.set(stand, this.movesOf(cell) + 1);
    this.routes.set(cell.pid, stand);
    this.switchWay(cell, stand);
    // What a hold has yet to drain is newer than the mailbox that just left: it follows it.
    for (const hold of this.holds) if (hold.target === cell) hold.target = stand;
    this.travels.delete(cell);
  }

  /**
   * Actor `cell` arrived after `moves` moves, having been `from` on the CPU it left and `aliases`
   * before that. Routes and refs here that lead to its old pids switch to it, and every other CPU
   * is told to switch theirs (`kernel.relocated`): mail then takes no detour once what was on its
   * way has arrived.
   */
  arrived(cell: Cell, from: Pid, aliases: readonly Pid[], moves: number): void {
    // The newest only: each CPU drops its routes for older ones when it hears of this move (relocate).
    const all = [...aliases, from].slice(-aliasesCarriedMax);
    this.travels.set(cell, { aliases: all, moves });
    // Mail its last CPU sent before it learnt the new pid is addressed to the old one.
    this.routes.set(from, cell);
    this.relocate(all, { pid: cell.pid, moves });
    for (let cpu = 0; cpu < this.node.cpus; cpu++)
      if (cpu !== this.node.cpu) this.node.send(cpu, { type: KERNEL_RELOCATED, aliases: all, pid: cell.pid, moves });
  }

  /** Local actor `cell` stopped: mail to its aliases is a dead letter from now on, as to its pid. */
  stopped(cell: Cell): void {
    this.routes.deleteAll(cell);
    this.travels.delete(cell);
  }

  /** The actor behind stand-in `cell` is gone: nothing is forwarded to it. */
  gone(cell: RemoteCell): void {
    this.routes.deleteAll(cell);
  }

  /**
   * The actor that had the pids `aliases` is at `where` now: each route and ref of this CPU that
   * leads to one of them some other way switches to it (`redirect`).
   */
  relocate(aliases: readonly Pid[], where: Whereabouts): void {
    const ways = new Set<Cell>();
    for (const alias of aliases) {
      const route = this.routes.get(alias);
      if (route !== undefined) ways.add(pastDone(route));
      const stand = pidCpu(alias) !== this.node.cpu ? this.node.refs.known(alias) : undefined;
      if (stand !== undefined) ways.add(pastDone(stand.ref.cell));
    }
    // Routes of pids the actor no longer carries (older than its last `aliasesCarriedMax`) go, but
    // only on news at least as new as any of its ways knows: late news carries an older list.
    let known = -1;
    for (const way of ways) known = Math.max(known, this.knownMoves(way));
    if (where.moves >= known) {
      const carried = new Set(aliases);
      // Routes lead to no done hold (its routes are switched on when it is done): each leads to its way.
      for (const way of ways) for (const pid of this.routes.pidsTo(way)) if (!carried.has(pid)) this.routes.delete(pid);
    }
    for (const way of ways) this.redirect(way, where);
  }

  /** How many moves of its actor `way` (a route or ref target here) is known to be after. */
  private knownMoves(way: Cell): number {
    if (way instanceof ForwardHold) return way.location.moves;
    if (!way.isRemote()) return this.movesOf(way);
    return this.news.get(way) ?? -1;
  }

  /** Routes kept for old pids of actors that moved. */
  get routeCount(): number {
    return this.routes.size;
  }

  /**
   * Sends a fence down every route of this CPU that leads off it (or into a hold), and calls `done`
   * once all are back: mail this CPU took in before now and passed on has arrived where it went.
   * A fence lost with a CPU on its way never calls back: after `giveUpMs` its waiting is forgotten,
   * and `done` is never called.
   */
  fenceRoutes(done: () => void, giveUpMs: number): void {
    const ways = new Set<Cell>();
    for (const route of this.routes.ways()) {
      const way = pastDone(route);
      if (way.isRemote() && way.status < Status.Stopping) ways.add(way);
    }
    const serials: number[] = [];
    let giveUp: TimerHandle | null = null;
    // One more than the fences, taken off last: fences answered at once (the actor is here) cannot finish early.
    let left = ways.size + 1;
    const arrived = () => {
      if (--left > 0) return;
      if (giveUp !== null) this.node.kernel.clock.cancelTimer(giveUp);
      done();
    };
    for (const way of ways) {
      const serial = this.nextSerial++;
      serials.push(serial);
      this.fencesOut.set(serial, arrived);
      this.passFence(way, { type: KERNEL_FENCE, to: 0, origin: this.node.cpu, serial });
    }
    if (left > 1)
      giveUp = this.node.kernel.clock.setTimer(giveUpMs, () => {
        for (const serial of serials) this.fencesOut.delete(serial);
      });
    arrived();
  }

  /** Moves held mail on where the actor's mailbox has room again; called after every busy round. */
  flush(): void {
    for (const hold of this.draining) {
      if (!hold.drain()) continue;
      this.draining.delete(hold);
      this.holds.delete(hold);
      hold.done = true;
      this.switchWay(hold, hold.target!);
    }
    // A fence that does not come back (lost with a CPU it passed through) is sent again, with the
    // same number: whichever copy comes back first completes the switch.
    const now = this.holds.size > this.draining.size ? this.node.kernel.clock.now() : 0;
    for (const hold of this.holds)
      if (hold.target === undefined && now - hold.fencedAtMs >= fenceRetryMs) {
        hold.fencedAtMs = now;
        this.sendFence(hold, hold.serial);
      }
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
    for (const hold of this.holds) if (hold.oldRoute.cpu === cpu) this.fenced(hold.serial, nowhere);
  }

  /**
   * Switches `way`, a route or ref target of this CPU that leads to the actor now at `where`, to
   * lead there directly, unless it does already or this is older news. Mail already on its way
   * down it arrives first: a fence goes down it, and what comes meanwhile waits in a hold.
   */
  private redirect(way: Cell, where: Whereabouts): void {
    // A switch under way: its mail goes wherever the newest news says once its fence is back.
    if (way instanceof ForwardHold) {
      if (where.moves <= way.location.moves) return;
      way.location = where;
      const target = way.target;
      // Draining into a route that leads where the actor was: it holds again behind a fence down that route.
      if (target instanceof RemoteCell && !way.done && target.address !== where.pid && target.status < Status.Stopping && !this.node.isDown(target.cpu)) {
        this.draining.delete(way);
        way.refence(target);
        this.sendFence(way);
        this.armRetry();
      }
      return;
    }
    // The actor itself (it is here), or news no newer than the switch that made this way.
    if (!(way instanceof RemoteCell) || (this.news.get(way) ?? -1) >= where.moves) return;
    if (way.address === where.pid) {
      this.news.set(way, where.moves);
      return;
    }
    if (way.status >= Status.Stopping || this.node.isDown(way.cpu)) {
      // No mail is on its way along a route that ends nowhere or in a dead CPU.
      this.switchWay(way, this.cellAt(where, null));
      return;
    }
    const hold = new ForwardHold(this.node.kernel, way, where, this, forwardHoldMessagesMax);
    this.holds.add(hold);
    this.switchWay(way, hold);
    this.sendFence(hold);
    this.armRetry();
  }

  sendFence(hold: ForwardHold, serial = this.nextSerial++): void {
    // A new number (the hold spilled) retires the old one: the mail that fence went ahead of is behind it now.
    if (serial !== hold.serial) this.fencesOut.delete(hold.serial);
    hold.serial = serial;
    this.fencesOut.set(serial, (found) => this.holdFenced(hold, found));
    const route = hold.oldRoute;
    if (this.node.isDown(route.cpu)) {
      // Nothing on a route through a dead CPU is coming: the fence is as good as back (later, not
      // inside the hold's own delivery).
      this.node.kernel.clock.schedule(() => this.fenced(serial, nowhere));
      return;
    }
    this.node.send(route.cpu, { type: KERNEL_FENCE, to: route.address, origin: this.node.cpu, serial });
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
    const found = target !== null && !target.isRemote() && target.status < Status.Stopping ? { pid: target.pid, moves: this.movesOf(target) } : nowhere;
    if (fence.origin === this.node.cpu) this.fenced(fence.serial, found);
    else this.node.send(fence.origin, { type: KERNEL_FENCED, serial: fence.serial, ...found });
  }

  /** Fence `serial` came back, having found the actor at `found` (`nowhere`: gone, or lost with a CPU). */
  private fenced(serial: number, found: Whereabouts): void {
    const answer = this.fencesOut.get(serial);
    if (answer === undefined) return;
    this.fencesOut.delete(serial);
    answer(found);
  }

  /**
   * The fence of `hold` is back: the old route is drained, so the hold drains to where the actor is
   * (the newer of `found` and what news came meanwhile).
   */
  private holdFenced(hold: ForwardHold, found: Whereabouts): void {
    const where = found.pid !== 0 && found.moves >= hold.location.moves ? found : hold.location;
    const target = this.cellAt(where, hold);
    hold.target = target;
    if (target instanceof RemoteCell) this.news.set(target, Math.max(this.news.get(target) ?? -1, where.moves));
    this.draining.add(hold);
    this.flush();
  }

  /**
   * Where mail for the actor at `where` goes from here: the actor, or the route it left here, or
   * where this CPU's refs to that pid lead (its stand-in itself while `switching` or another switch
   * holds them, so that no hold drains into one that is yet to drain). A stopped stand-in if it is gone.
   */
  private cellAt(where: Whereabouts, switching: ForwardHold | null): Cell {
    const { pid } = where;
    const node = this.node;
    if (pidCpu(pid) === node.cpu) return node.kernel.cellOf(pid) ?? this.route(pid) ?? node.refs.stoppedStandIn(pid);
    const stand = node.refs.remoteCell(pid);
    const way = pastDone(stand.ref.cell);
    return way instanceof ForwardHold || way === switching ? stand : way;
  }

  canTakeNow(cell: Cell): boolean {
    return this.node.canTakeNow(cell);
  }

  deliverHere(target: Cell, message: unknown, origin: number): void {
    this.node.deliverHere(target, message, origin);
  }

  countHeld(sender: Pid, delta: number): void {
    if (sender === 0 || pidCpu(sender) !== this.node.cpu) return;
    // Where held mail goes is known only once its fence is back: a move of its sender sweeps every CPU.
    if (delta > 0) {
      const cell = this.node.kernel.cellOf(sender);
      if (cell !== undefined) cell.sentCpus = -1;
    }
    const left = (this.heldBySender.get(sender) ?? 0) + delta;
    if (left > 0) this.heldBySender.set(sender, left);
    else this.heldBySender.delete(sender);
  }

  /** Whether mail local actor `cell` sent waits in a hold: moved now, its later mail could overtake it. */
  holdsMailOf(cell: Cell): boolean {
    return this.heldBySender.has(cell.pid);
  }

  /** Makes the routes and ref objects of this CPU that lead to `from` lead to `to`. */
  private switchWay(from: Cell, to: Cell): void {
    this.routes.switchAll(from, to);
    this.repoint(from, to);
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

/** Where `cell` leads: itself, or past holds that are done, where they drained to. */
function pastDone(cell: Cell): Cell {
  let way = cell;
  while (way instanceof ForwardHold && way.done) way = way.target!;
  return way;
}
