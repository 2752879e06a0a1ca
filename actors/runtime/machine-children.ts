import type { Actor as XstateActor, AnyActorLogic, AnyActorRef as AnyXstateActorRef, EventObject, Snapshot } from 'xstate';
import { MachineError, StartFailedError } from '../../ground/errors.js';
import type { Message } from '../../ground/message.js';
import type { Behavior } from './behavior.js';
import type { Cell } from './cell.js';
import { xstate } from './lazy-packages.js';
import type { MachineChildTable } from './machine-runner.js';
import type { MonitorRef } from './monitor.js';
import type { ActorRef } from './ref.js';
import type { DownSignal } from './signals.js';
import { bindKernelRef } from './xstate-ref.js';

/** xstate's event for a child that ended: `xstate.done.actor.<id>` with its output, or `xstate.error.actor.<id>` with its error. */
export interface ChildEndEvent extends EventObject {
  readonly actorId: string;
  readonly output?: unknown;
  readonly error?: unknown;
}

/** A kernel actor that runs an xstate logic and can show its current xstate snapshot (a machine actor, a LogicActor). */
export interface ShowsXstateSnapshot {
  xstateSnapshot(): Snapshot<unknown> | undefined;
}

/** One xstate child and the kernel actor that runs it. */
interface ChildRecord {
  /** The xstate actor the machine's step created for the child: it never runs, it names the child. */
  readonly actor: XstateActor<AnyActorLogic>;
  readonly ref: ActorRef<Message>;
  /** The machine actor's monitor of it; null once it ended or was stopped. */
  monitor: MonitorRef | null;
  /** How it ended, once it did (xstate's snapshot of an actor that is done, failed or stopped). */
  ended: Snapshot<unknown> | null;
}

/**
 * The xstate children of one machine actor, each run by a kernel actor under it (so each is in
 * `kernel.status()`, stops with it, and is bounded like any actor). xstate creates an actor object
 * for each child while it computes a transition; the machine never starts it. This table spawns a
 * kernel actor instead, ties the two (sending to the object tells the kernel actor), and monitors
 * it: the `down` of a child that ended becomes xstate's `xstate.done.actor.<id>` event, with the
 * child's output, or `xstate.error.actor.<id>`, with its error.
 *
 * A child that the machine stops (`stopChild`, or leaving the state that invoked it) is no longer
 * watched before it stops, so no done or error event follows, as in xstate.
 */
export class MachineChildren implements MachineChildTable {
  private readonly records = new Map<AnyXstateActorRef, ChildRecord>();
  private readonly byMonitor = new Map<MonitorRef, ChildRecord>();
  /**
   * Every child that ever ran. xstate lists a child among the machine's children after it stopped
   * it in some steps (a machine that reached its final state keeps them), so a child that is
   * listed but not running is not necessarily new: each xstate actor runs at most once.
   */
  private readonly started = new WeakSet<AnyXstateActorRef>();

  constructor(
    private readonly cell: Cell,
    /** The kernel behaviour that runs a child's logic, with its input, id and parent. */
    private readonly behaviorOf: (child: XstateActor<AnyActorLogic>) => Behavior<Message>,
  ) {}

  spawn(child: AnyXstateActorRef): void {
    if (this.started.has(child)) return;
    if (!(child instanceof xstate().Actor)) throw new MachineError(child.id, 'a child must be created by its machine (invoke, spawnChild or spawn)');
    const actor = child as XstateActor<AnyActorLogic>;
    this.started.add(child);
    const ref = this.cell.spawn(this.behaviorOf(actor));
    const record: ChildRecord = { actor, ref, monitor: this.cell.monitor(ref as ActorRef<never>), ended: null };
    bindKernelRef(actor, ref, () => snapshotOf(record));
    this.records.set(child, record);
    this.byMonitor.set(record.monitor!, record);
  }

  stop(child: AnyXstateActorRef): void {
    const record = this.records.get(child);
    if (record === undefined) return;
    this.records.delete(child);
    if (record.monitor === null) return;
    this.unwatch(record);
    record.ended = { status: 'stopped', output: undefined, error: undefined };
    this.cell.stop(record.ref as ActorRef<never>);
  }

  reconcile(children: Readonly<Record<string, AnyXstateActorRef | undefined>>): void {
    const current = new Set<AnyXstateActorRef>();
    for (const child of Object.values(children)) {
      if (child === undefined) continue;
      current.add(child);
      this.spawn(child);
    }
    for (const child of [...this.records.keys()]) if (!current.has(child)) this.stop(child);
  }

  /**
   * The xstate event for a child's `down`, or undefined if the signal is not about a child this
   * table watches. A child that ended stays listed (xstate keeps it among the machine's children
   * until the machine stops it or leaves the state that invoked it).
   */
  eventFor(signal: DownSignal): ChildEndEvent | undefined {
    const record = this.byMonitor.get(signal.monitor);
    if (record === undefined) return undefined;
    this.unwatch(record);
    const id = record.actor.id;
    if (signal.reason === 'normal') {
      record.ended = { status: 'done', output: signal.output, error: undefined };
      return { type: `xstate.done.actor.${id}`, output: signal.output, actorId: id };
    }
    // A child whose logic threw as it started (a callback, a promise creator) fails with what it threw.
    const error = signal.error instanceof StartFailedError ? signal.error.cause : (signal.error ?? signal.reason);
    record.ended = { status: 'error', output: undefined, error };
    return { type: `xstate.error.actor.${id}`, error, actorId: id };
  }

  private unwatch(record: ChildRecord): void {
    const monitor = record.monitor;
    if (monitor === null) return;
    record.monitor = null;
    this.byMonitor.delete(monitor);
    this.cell.demonitor(monitor);
  }
}

/**
 * A child's snapshot, for its xstate actor's `getSnapshot`: the one its kernel actor holds while it
 * runs (it lives on this CPU, under this machine), and how it ended afterwards (then only status,
 * output and error).
 */
function snapshotOf(record: ChildRecord): Snapshot<unknown> {
  if (record.ended !== null) return record.ended;
  const live = (record.ref.cell.instance as Partial<ShowsXstateSnapshot> | null)?.xstateSnapshot?.();
  return live ?? { status: 'stopped', output: undefined, error: undefined };
}
