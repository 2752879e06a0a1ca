import type { Pid } from '../../ground/pid.js';
import type { AnyBehavior } from './behavior.js';
import type { Cell } from './cell.js';
import type { MachineGraph } from './machine-graph.js';
import type { ActorRef } from './ref.js';
import type { ExitReason } from './signals.js';
import type { SpawnOptions } from './spawn-options.js';
import type { KernelStatus } from './status.js';

/**
 * What the runtime core asks of the routing between CPUs (actors/cpu/cpu-node.ts implements it).
 * The core stays ignorant of rings and frames: it hands over the cells that stand for actors of
 * other CPUs (`cell.isRemote()`), and the routing does the rest.
 */
export interface CpuRouting {
  /** CPUs of the machine. */
  readonly cpus: number;
  /** The CPU a spawn with `cpu` option `where` goes to; throws RangeError for one that does not exist. */
  placement(where: number | 'auto'): number;
  /** Spawns `behavior` on `cpu` (not this one) and returns the stand-in of the actor at once. */
  spawnOn(cpu: number, behavior: AnyBehavior, options: SpawnOptions | undefined): Cell;
  /** The stand-in for `pid`, an actor of another CPU (one object per pid while cached). */
  remoteCell(pid: Pid): Cell;
  /** The ref mail to `pid` follows, a pid an actor had on this CPU before it moved away; undefined if none. */
  movedRef(pid: Pid): ActorRef<never> | undefined;
  /** The actor another CPU announced under `name`, if any. */
  lookupName(name: string): ActorRef<never> | undefined;
  /** Asks the CPU of `cell` (a stand-in) to stop its actor; resolves once it is gone. */
  stopRemote(cell: Cell): Promise<void>;
  /** Sends the actor behind `cell` (a stand-in) an exit signal from `from` (a local actor, or null). */
  exitRemote(cell: Cell, from: Cell | null, reason: ExitReason): void;
  /** CPU `cpu`'s status snapshot; rejects if it does not come within `deadlineMs`. */
  statusOf(cpu: number, deadlineMs?: number): Promise<KernelStatus>;
  /** The graph of the machine actor `pid` of CPU `cpu` runs, lit where it is; undefined if it runs none. */
  machineGraphOf(cpu: number, pid: Pid, deadlineMs?: number): Promise<MachineGraph | undefined>;
  /** A local actor stopped (the CPU that placed it here, if another did, is told). */
  localStopped(cell: Cell, reason: ExitReason): void;
  /** A local actor took or gave up `name`: the other CPUs are told. */
  nameChanged(name: string, pid: Pid, registered: boolean): void;
  /** Local actors monitor `cell` (a stand-in): its CPU reports the actor's stop. */
  requestMonitor(cell: Cell): void;
  /** Local actor `local` linked itself to `cell` (a stand-in): its CPU links the actor back. */
  requestLink(local: Cell, cell: Cell): void;
  /** Local actor `local` unlinked itself from `cell` (a stand-in): its CPU drops its half. */
  requestUnlink(local: Cell, cell: Cell): void;
  /**
   * Moves local actor `cell` to `cpu`: returns why it cannot move, or null once the move is under
   * way, in which case `settled` is called once, with null when it has left (at once, or once its
   * earlier mail has arrived) or with why the move was called off (it stays). `waitsForRoom`: the
   * move's frame may wait for room in a full ring (a move asked for); otherwise a full ring refuses
   * it (the balancer's: moving work into an overloaded ring adds to what it is meant to relieve).
   */
  migrate(cell: Cell, cpu: number, settled: (why: string | null) => void, waitsForRoom: boolean): string | null;
}
