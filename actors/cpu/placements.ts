/**
 * Actors placed on other CPUs: `kernel.spawn(…, { cpu })` sends a `kernel.spawn` frame and returns
 * the stand-in at once; the far CPU answers `kernel.spawned` with the pid (messages sent meanwhile
 * wait in order in the stand-in). This CPU remembers what it placed where, so if that CPU dies and
 * restarts, the same actors are spawned again behind the same refs. The far CPU, in turn, tells the
 * placing CPU with `kernel.down` when such an actor stops.
 */
import { assert } from '../../ground/assert.js';
import { CpuDownError, describeError, SpawnFailedError } from '../../ground/errors.js';
import type { Pid } from '../../ground/pid.js';
import { KERNEL_SPAWNED, KERNEL_STOP, kernelSpawn, kernelSpawned, kernelStop, type KernelSpawn } from '../../protocols/runtime.js';
import { type AnyBehavior, type BehaviorFactory, behaviorLabel } from '../runtime/behavior.js';
import { type Cell, Status } from '../runtime/cell.js';
import type { ExitReason } from '../runtime/signals.js';
import type { SpawnOptions } from '../runtime/spawn-options.js';
import type { BehaviorAddress } from './catalog.js';
import type { CpuNode } from './cpu-node.js';
import { defineFrameType, type FrameType } from './frame-registry.js';
import { wholeFrame } from './outbox.js';
import { RemoteCell } from './remote-cell.js';

/** An actor this CPU placed on another CPU: respawned there, behind the same ref, if that CPU restarts. */
export interface Placement {
  readonly cell: RemoteCell;
  readonly address: BehaviorAddress;
  readonly options: SpawnOptions | undefined;
}

export class Placements {
  /** The frames of placement: spawns, their answers, and stops. */
  readonly frames: readonly FrameType[] = [
    defineFrameType(kernelSpawn, (message, source) =>
      // An actor that fails to start never ran: the spawner's `kernel.spawned(ref)` rejects with why.
      this.spawnFor(source, message, (behavior) => {
        const kernel = this.node.kernel;
        return kernel.lifecycle.spawnOrThrow(kernel.userRoot, behavior, spawnOptionsFrom(message.options)).pid;
      }),
    ),
    defineFrameType(kernelSpawned, (message, source) => this.spawned(source, message.ticket, message.pid, message.error)),
    defineFrameType(kernelStop, (message) => {
      const cell = this.node.controlTarget(message);
      if (cell != null) void this.node.kernel.lifecycle.terminate(cell, 'shutdown', undefined, true);
    }),
  ];
  private placeNext = 0;
  private ticketNext = 1;
  /** Spawns and migrations in flight, by ticket: answered with `kernel.spawned`. */
  private readonly tickets = new Map<number, Placement>();
  /** Live placements by CPU, keyed by the stand-in. */
  private readonly byCpu: Map<RemoteCell, Placement>[] = [];
  /** Local actors other CPUs spawned here: pid → the spawning CPU, told when the actor stops. */
  private readonly spawnedHere = new Map<Pid, number>();
  /** CPUs that died for good (see `cpuGone`), with why: a spawn there fails at once. */
  private readonly gone = new Map<number, string>();

  constructor(private readonly node: CpuNode) {
    for (let cpu = 0; cpu < node.cpus; cpu++) this.byCpu.push(new Map());
  }

  /** The CPU a spawn with `cpu` option `where` goes to. */
  placement(where: number | 'auto'): number {
    const cpus = this.node.cpus;
    if (where === 'auto') {
      const cpu = this.placeNext;
      this.placeNext = (this.placeNext + 1) % cpus;
      return cpu;
    }
    if (!Number.isInteger(where) || where < 0 || where >= cpus) throw new RangeError(`cpu ${where} does not exist: this kernel runs cpus 0..${cpus - 1}`);
    return where;
  }

  /** Spawns `behavior` on `cpu` (not this one) and returns its stand-in at once; see RemoteCell. */
  spawnOn(cpu: number, behavior: AnyBehavior, spawnOptions: SpawnOptions | undefined): RemoteCell {
    const node = this.node;
    assert(cpu !== node.cpu, 'spawnOn is for other CPUs');
    if (spawnOptions !== undefined) node.kernel.checkSpawnOptions(spawnOptions);
    // A behaviour with bound arguments (`withArgs`, `Actor.with`) travels as the exported behaviour and its arguments.
    const bound = (behavior as BehaviorFactory<never, never>).bound;
    const options = bound === undefined ? spawnOptions : { ...spawnOptions, args: bound.args };
    const address = node.catalog.addressOf(bound === undefined ? behavior : (bound.behavior as AnyBehavior));
    if (address === undefined) {
      throw new TypeError(
        `${behaviorLabel(behavior)} cannot start on cpu ${cpu}: no boot module exports it. Export it from a module listed in Kernel.boot({ modules }).`,
      );
    }
    const cell = new RemoteCell(node.kernel, node, 0, cpu, address.exportName, options);
    const name = options?.name;
    if (name !== undefined) {
      cell.ensureExtras().name = name;
      node.kernel.registry.set(name, cell);
    }
    const placement: Placement = { cell, address, options };
    this.byCpu[cpu]!.set(cell, placement);
    this.requestSpawn(cpu, placement);
    return cell;
  }

  /**
   * Asks `cell`'s CPU to stop its actor, which is no longer respawned with that CPU; resolves once it
   * is gone. Its CPU is asked to report the stop (a monitor, sent before the stop on the same ring)
   * whether this CPU placed it there or not. An actor whose spawn its CPU has not answered yet is
   * stopped when it answers, and takes no message before: the promise resolves at once.
   */
  stopRemote(cell: RemoteCell): Promise<void> {
    this.byCpu[cell.cpu]!.delete(cell);
    if (cell.pid === 0 || this.node.isDown(cell.cpu)) {
      cell.markStopped();
      return Promise.resolve();
    }
    this.node.requestMonitor(cell);
    this.node.send(cell.cpu, { type: KERNEL_STOP, to: cell.pid, reason: 'shutdown' });
    return cell.whenStopped();
  }

  /** Whether `cell` stands for an actor this CPU placed (and respawns with its CPU). */
  has(cell: Cell): boolean {
    return cell instanceof RemoteCell && this.byCpu[cell.cpu]!.has(cell);
  }

  /** A fresh ticket: the far CPU's `kernel.spawned` answer names it. */
  nextTicket(): number {
    return this.ticketNext++;
  }

  /** Migration `ticket` is on its way to `cpu` as `placement`. */
  moving(cpu: number, ticket: number, placement: Placement): void {
    this.byCpu[cpu]!.set(placement.cell, placement);
    this.tickets.set(ticket, placement);
  }

  /**
   * Starts an actor CPU `source` asked for (`kernel.spawn` or `kernel.migrate`) with `start` and
   * answers `kernel.spawned`: the pid, or 0 and why. Returns the pid (0 when it failed).
   */
  spawnFor(
    source: number,
    request: { readonly ticket: number; readonly module: number; readonly exportName: string },
    start: (behavior: AnyBehavior) => Pid,
  ): Pid {
    const behavior = this.node.catalog.behaviorAt(request.module, request.exportName);
    let pid = 0;
    let error = '';
    if (behavior === undefined) {
      error = `boot module ${request.module} exports no behaviour '${request.exportName}' on this cpu`;
    } else {
      try {
        pid = start(behavior);
        this.spawnedHere.set(pid, source);
      } catch (thrown) {
        error = describeError(thrown);
      }
    }
    this.node.send(source, { type: KERNEL_SPAWNED, ticket: request.ticket, pid, error });
    return pid;
  }

  /** A local actor stopped: tell the CPU that placed it here, if another did, and why. */
  localStopped(cell: Cell, reason: ExitReason): void {
    const source = this.spawnedHere.get(cell.pid);
    if (source === undefined) return;
    this.spawnedHere.delete(cell.pid);
    this.node.monitors.sendDown(source, cell.pid, reason);
  }

  /** An actor we placed on `source` stopped there (`kernel.down`): it is not respawned if that CPU restarts. */
  stoppedOn(source: number, pid: Pid, reason: ExitReason): void {
    const placed = this.byCpu[source]!;
    for (const placement of placed.values()) {
      if (placement.cell.pid !== pid) continue;
      placed.delete(placement.cell);
      placement.cell.markStopped(reason);
      return;
    }
  }

  /** CPU `cpu` died: spawns in flight there are void, and what we placed there waits for its restart. */
  cpuDown(cpu: number): void {
    for (const [ticket, placement] of this.tickets) if (placement.cell.cpu === cpu) this.tickets.delete(ticket);
    for (const placement of this.byCpu[cpu]!.values()) {
      placement.cell.exitLinks('killed');
      placement.cell.respawning();
    }
    for (const [pid, source] of this.spawnedHere) if (source === cpu) this.spawnedHere.delete(pid);
  }

  /**
   * CPU `cpu` died and will not restart (a simulated crash): what this CPU placed there fails, its
   * held mail a dead letter, rather than wait for a CPU that never comes; so do spawns there later.
   */
  cpuGone(cpu: number, why: string): void {
    this.gone.set(cpu, why);
    const placed = [...this.byCpu[cpu]!.values()];
    this.byCpu[cpu]!.clear();
    for (const placement of placed) this.failGone(cpu, placement, why);
  }

  /** CPU `cpu` is back: spawn again what this CPU had placed there. */
  cpuUp(cpu: number): void {
    this.gone.delete(cpu);
    for (const placement of this.byCpu[cpu]!.values()) this.requestSpawn(cpu, placement);
  }

  private failGone(cpu: number, placement: Placement, why: string): void {
    placement.cell.spawnFailed(new CpuDownError(cpu, `the spawn of ${placement.cell.describe()}`, why));
  }

  private requestSpawn(cpu: number, placement: Placement): void {
    const node = this.node;
    if (node.isDown(cpu)) {
      const why = this.gone.get(cpu);
      if (why === undefined) return; // sent when the CPU is back (see cpuUp)
      this.byCpu[cpu]!.delete(placement.cell);
      this.failGone(cpu, placement, why);
      return;
    }
    const ticket = this.nextTicket();
    this.tickets.set(ticket, placement);
    // The same filter the far CPU applies: plain fields only (no `cpu`), so the frame always encodes.
    const options = spawnOptionsFrom(placement.options);
    const request: KernelSpawn = { type: kernelSpawn.type, ticket, module: placement.address.module, exportName: placement.address.exportName, options };
    if (!node.outbox.offer(cpu, wholeFrame(node.port.encode(cpu, request)), request, 0, null)) {
      this.tickets.delete(ticket);
      this.byCpu[cpu]!.delete(placement.cell);
      placement.cell.spawnFailed(new SpawnFailedError(cpu, placement.address.exportName, 'the ring to that cpu is full'));
    }
  }

  /** CPU `source` answered the spawn or migration `ticket`: the pid, or why it failed. */
  private spawned(source: number, ticket: number, pid: Pid, error: string): void {
    const placement = this.tickets.get(ticket);
    if (placement === undefined) return; // its CPU restarted since; a fresh request is out
    this.tickets.delete(ticket);
    if (error !== '') {
      this.byCpu[source]!.delete(placement.cell);
      placement.cell.spawnFailed(new SpawnFailedError(source, placement.address.exportName, error));
      return;
    }
    if (placement.cell.status === Status.Stopped) {
      // Stopped while its spawn was in flight: stop what the far CPU just started.
      this.node.send(source, { type: KERNEL_STOP, to: pid, reason: 'shutdown' });
      return;
    }
    placement.cell.spawnedAs(pid);
    this.node.refs.spawned(pid, placement.cell);
  }
}

/** The known, plain fields of spawn options (what a `kernel.spawn` frame carries). */
export function spawnOptionsFrom(value: unknown): SpawnOptions {
  const options = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const result: { -readonly [K in keyof SpawnOptions]: SpawnOptions[K] } = {};
  if (options.args !== undefined) result.args = options.args;
  if (typeof options.name === 'string') result.name = options.name;
  if (typeof options.mailboxCapacity === 'number') result.mailboxCapacity = options.mailboxCapacity;
  if (options.overflow === 'reject' || options.overflow === 'drop-newest' || options.overflow === 'drop-oldest') result.overflow = options.overflow;
  if (typeof options.shutdown === 'number' || options.shutdown === 'brutal-kill' || options.shutdown === 'infinity') result.shutdown = options.shutdown;
  // Checked again by the far CPU's spawn, which answers a bad value with a typed spawn failure.
  if (typeof options.priority === 'number' || options.priority === 'realtime' || options.priority === 'idle') result.priority = options.priority;
  if (typeof options.pinned === 'boolean') result.pinned = options.pinned;
  return result;
}
