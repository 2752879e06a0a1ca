/**
 * Actors moving between CPUs (the balancer's and `sched.migrate`'s moves, OSv's thread migration):
 * an actor leaves with its own fields, its mailbox in order (asks included) and its decayed runtime,
 * in one `kernel.migrate` frame, and arrives as a fresh incarnation that continues where it was.
 * Its ref, one object shared by every holder on the old CPU, points at the new home from then on.
 */
import { describeError } from '../../ground/errors.js';
import { ProtocolError } from '../../protocols/protocol-error.js';
import { cpuBit, type Pid } from '../../ground/pid.js';
import { kernelMigrate, type KernelMigrate } from '../../protocols/runtime.js';
import type { Cell } from '../runtime/cell.js';
import { runtimeExported } from '../sched/decayed-runtime.js';
import { SchedClass } from '../sched/entity.js';
import { SchedCell } from '../sched/sched-cell.js';
import { captureState, migrationBlocker, restoreState } from '../sched/migration.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import { MoveSweeps } from './move-sweeps.js';
import { wholeFrame } from './outbox.js';
import { spawnOptionsFrom, type Placement } from './placements.js';
import { RemoteCell } from './remote-cell.js';

export class Migrations {
  private readonly sweeps: MoveSweeps;
  readonly frames: readonly FrameType[];

  constructor(private readonly node: CpuNode) {
    this.sweeps = new MoveSweeps(node, (cell, cpu, waitsForRoom) => this.depart(cell, cpu, waitsForRoom));
    this.frames = [defineFrameType(kernelMigrate, (message, source) => this.arrived(source, message)), ...this.sweeps.frames];
  }

  /** CPU `cpu` died: moves waiting for it are called off, or stop waiting for its answer. */
  cpuDown(cpu: number): void {
    this.sweeps.cpuDown(cpu);
  }

  /**
   * Moves local actor `cell` to CPU `cpu`. Returns why it cannot move, in which case nothing
   * changed, or null once the move is under way: `settled` is then called with null when it has
   * left (at once, or when the mail it sent to third CPUs has arrived: move-sweeps.ts), or with why
   * the move was called off. Mail sent to it after the move follows right behind the move's frame,
   * in order, and mail to its old pid is forwarded (forwarding.ts). `waitsForRoom`: see
   * CpuRouting.migrate.
   */
  migrate(cell: Cell, cpu: number, settled: (why: string | null) => void, waitsForRoom: boolean): string | null {
    if (this.sweeps.waits(cell)) return 'it is moving already, once its earlier mail has arrived';
    const third = this.thirdCpusOf(cell, cpu);
    if (third === 0) {
      const refused = this.depart(cell, cpu, waitsForRoom);
      if (refused === null) settled(null);
      return refused;
    }
    const why = this.refusal(cell, cpu);
    if (why !== null) return why;
    this.sweeps.start(cell, cpu, waitsForRoom, third, settled);
    return null;
  }

  /** The live CPUs other than its own and `cpu` that `cell` sent mail to (a dead one took that mail with it). */
  private thirdCpusOf(cell: Cell, cpu: number): number {
    const node = this.node;
    let third = 0;
    if (cell.sentCpus !== 0)
      for (let other = 0; other < node.cpus; other++)
        if (other !== node.cpu && other !== cpu && (cell.sentCpus & cpuBit(other)) !== 0 && !node.isDown(other)) third |= cpuBit(other);
    return third;
  }

  /** Why `cell` cannot move to `cpu` now, or null. */
  private refusal(cell: Cell, cpu: number): string | null {
    const node = this.node;
    if (node.isDown(cpu)) return `cpu ${cpu} is down`;
    const blocker = migrationBlocker(cell, node.kernel.userRoot);
    if (blocker !== null) return blocker;
    // Sent from its new CPU, its mail could overtake what it sent from this one that waits here.
    if (node.outbox.holdsFramesOf(cell)) return 'frames it sent wait in an outbox';
    if (node.forwarding.holdsMailOf(cell)) return 'mail it sent waits in a switch of routes';
    if (node.catalog.addressOf(cell.behavior) === undefined) return 'its behaviour is not exported by a boot module';
    return null;
  }

  /** Sends `cell`, which may move, to `cpu` now; returns why it cannot go after all, or null. */
  private depart(cell: Cell, cpu: number, waitsForRoom: boolean): string | null {
    const node = this.node;
    const kernel = node.kernel;
    const refused = this.refusal(cell, cpu);
    if (refused !== null) return refused;
    const address = node.catalog.addressOf(cell.behavior)!;
    let state: Record<string, unknown> | null;
    try {
      state = captureState(cell);
    } catch (error) {
      return `its state cannot move: ${describeError(error)}`;
    }
    const bodies: unknown[] = [];
    const origins: number[] = [];
    const deadlines: number[] = [];
    cell.mailbox?.drain((body, origin) => {
      bodies.push(body);
      origins.push(origin);
      deadlines.push(origin < 0 ? kernel.asks.remainingMs(-origin) : 0);
    });
    const runtime = kernel.dispatcher.release(cell);
    const ticket = node.placements.nextTicket();
    const request: KernelMigrate = {
      type: kernelMigrate.type,
      ticket,
      from: cell.pid,
      aliases: node.forwarding.aliasesOf(cell),
      module: address.module,
      exportName: address.exportName,
      options: spawnOptionsFrom(cell.options),
      state,
      runtime,
      bodies,
      origins,
      deadlines,
      moves: node.forwarding.movesOf(cell) + 1,
    };
    let frame: Uint8Array | null = null;
    let why = '';
    try {
      frame = node.port.encode(cpu, request);
    } catch (error) {
      // Too large now (a long mailbox) may fit later; what cannot be encoded never will (the scheduler pins it).
      why =
        error instanceof ProtocolError && error.code === 'too-large'
          ? `its fields and mailbox do not fit a frame now: ${describeError(error)}`
          : `its state or messages cannot be encoded: ${describeError(error)}`;
    }
    // Gone from here once the frame is sent or waits to be, whatever the policy: an actor retired here
    // whose frame then expired in an outbox, or became a dead letter, would be lost. A move asked for
    // waits as a frame that must arrive, with no deadline, if the outbox has room for it within its
    // bound (a flood that keeps the ring full would otherwise refuse it every time); the balancer's
    // goes into the ring now or not at all. Refused, the actor stays and runs on.
    if (frame !== null) {
      if (waitsForRoom && !node.outbox.hasRoom(cpu, frame.length)) why = `the outbox to cpu ${cpu} is full`;
      else if (!node.outbox.offer(cpu, wholeFrame(frame), request, 0, null, waitsForRoom ? 'must-arrive' : 'reject')) why = `the ring to cpu ${cpu} is full`;
    }
    if (why !== '') {
      // Back as it was: the messages return in order (they fit: they came out of this mailbox).
      for (let i = 0; i < bodies.length; i++) cell.mailbox!.offer(bodies[i], origins[i]!, 0);
      kernel.dispatcher.wake(cell);
      return why;
    }
    const remote = new RemoteCell(kernel, node, 0, cpu, address.exportName, cell.options);
    node.forwarding.departed(cell, remote);
    const name = cell.extras?.name;
    kernel.lifecycle.retire(cell);
    if (name !== undefined) {
      remote.ensureExtras().name = name;
      kernel.registry.set(name, remote);
    }
    const placement: Placement = { cell: remote, address, options: cell.options };
    node.placements.moving(cpu, ticket, placement);
    return null;
  }

  /** An actor arrives from CPU `source`: start it with its state, runtime and mail. */
  private arrived(source: number, request: KernelMigrate): void {
    const node = this.node;
    const kernel = node.kernel;
    const bodies = request.bodies as unknown[];
    const origins = request.origins as number[];
    const deadlines = request.deadlines as number[];
    let arrived: Cell | null = null;
    const pid = node.placements.spawnFor(source, request, (behavior) => {
      const cell = kernel.lifecycle.spawnWithSpec(kernel.userRoot, behavior, spawnOptionsFrom(request.options), undefined, (instance) =>
        restoreState(instance, request.state),
      );
      // The runtime arrives exported (R, not R·c): the first wake converts it to this CPU's scale.
      // (A kernel whose policy keeps no runtime, `fifo`, has plain cells.)
      // (The idle class keeps runtime ∞, set from its spawn options, whatever the frame says.)
      if (cell instanceof SchedCell && cell.schedClass !== SchedClass.idle) {
        cell.runtime = request.runtime;
        cell.renormalizeCount = runtimeExported;
      }
      for (let i = 0; i < bodies.length; i++) {
        const origin = origins[i]!;
        if (origin >= 0) {
          cell.deliver(bodies[i], origin);
        } else {
          // An ask the source CPU waits on, as long as its asker does: answer it there, under its own id.
          const id = kernel.asks.forward(0, cell, (ok, value) => node.reply(source, -origin, 0, ok, value), deadlines[i] || undefined);
          cell.deliver(bodies[i], -id);
        }
      }
      arrived = cell;
      return cell.pid;
    });
    if (arrived !== null) node.forwarding.arrived(arrived, request.from, request.aliases as Pid[], request.moves);
    if (pid === 0) for (let i = 0; i < bodies.length; i++) kernel.deadLetter(bodies[i], origins[i]!, null, 'stopped');
  }
}
