import type { VectorStats } from '../../protocols/irq.js';
import type { FrameRouting } from '../cpu/frame-registry.js';
import { RemoteCell } from '../cpu/remote-cell.js';
import { assert } from '../../ground/assert.js';
import { type Cell, Status } from '../runtime/cell.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { Line, type LineInput, type LineState, lineInputEvents, lineStateNames, ringInput, stepLine } from './line.js';
import type { VectorRing } from './vector-ring.js';
import { lineMachineId } from './machine.js';

declare const vectorEvent: unique symbol;

/**
 * A vector number, branded with the type of the events raised on it. At run time it is a plain
 * small integer (what `allocate` returns and `raise` takes); the brand only keeps a timer vector
 * from being raised with a signal at compile time.
 */
export type VectorNumber<T = unknown> = number & { readonly [vectorEvent]?: T };

/** The wake callback queued in the handler's turn (see `serviceLine` in handler.ts). */
export type ServiceLine = (vector: VectorState<never>, handler: Cell) => void;

/** What a vector needs from its controller. */
export interface VectorHost {
  readonly kernel: KernelCore;
  /** The routing to the other CPUs, where handlers may live; null on a one-CPU kernel. */
  readonly routing: FrameRouting | null;
  /** The wake run in the handler's turn. */
  readonly service: ServiceLine;
  /** The wake of a vector whose handler lives on another CPU, run in the controller's turn. */
  readonly serviceRemote: (vector: VectorState<never>) => void;
  /** Runs `work` after the current actor's turn, behind the actors already runnable. */
  defer(work: () => void): void;
}

/**
 * Everything the controller knows about one allocated vector: its line state, its ring,
 * its handler and its counters. The ISR (`raise`) and the handler's wake both work on this record;
 * the line changes state only through `step`, i.e. through the table compiled from the machine.
 */
export class VectorState<T> {
  line: LineState = Line.idle;
  /**
   * The handler actor's cell, once bound (a spawned handler binds in its first `started`). After
   * the handler migrates, the stand-in (`RemoteCell`) of its new home: see `wake`.
   */
  handler: Cell | null = null;
  /**
   * The CPU whose handler serves the vector. The ring and the line stay on the CPU that allocated
   * the vector, where its drivers raise (a socket or a signal cannot change threads); the wake
   * goes to this CPU.
   */
  cpu: number;
  /** Times the vector followed its handler to another CPU. */
  retargets = 0;
  /** One wake at most is queued per vector: this is what keeps a storm from flooding the lane. */
  wakeQueued = false;
  freed = false;
  raised = 0;
  delivered = 0;
  wakes = 0;
  batchMax = 0;
  dropped = 0;
  /** Cleanups of the drivers feeding this vector (signal listeners, armed timers), run on free. */
  readonly detachers: Array<() => void> = [];
  /** Pushes the wake into the handler's system lane; bound once so a wake allocates nothing. */
  private readonly queueWake = (): void => this.pushWake();
  private readonly serviceRun: (handler: Cell) => void;
  private readonly serviceRemote = (): void => this.host.serviceRemote(this as unknown as VectorState<never>);

  readonly kernel: KernelCore;
  readonly routing: FrameRouting | null;

  constructor(
    private readonly host: VectorHost,
    readonly vector: number,
    readonly name: string,
    readonly ring: VectorRing<T>,
    /** Events one wake hands to the handler. */
    readonly batchEvents: number,
  ) {
    assert(Number.isInteger(batchEvents) && batchEvents >= 1, 'a vector drains at least one event per wake');
    this.kernel = host.kernel;
    this.routing = host.routing;
    this.cpu = host.kernel.cpu;
    this.serviceRun = (handler) => host.service(this as unknown as VectorState<never>, handler);
  }

  /**
   * Applies one line event through the compiled machine, and wakes the handler if the machine says
   * so. Called per wake, never per event: a raise on a busy line does not come here.
   */
  step(input: LineInput): void {
    const from = this.line;
    const step = stepLine(from, input);
    if (!step.changed) return;
    this.line = step.next;
    const kernel = this.kernel;
    if (kernel.tracing.active) {
      const label = `irq${this.vector}`;
      kernel.trace({
        kind: 'transition',
        machine: lineMachineId,
        pid: this.handler?.pid ?? 0,
        from: `${label}.${lineStateNames[from]!}`,
        to: `${label}.${lineStateNames[step.next]!}`,
        event: lineInputEvents[input]!.type,
      });
    }
    if (step.wake) this.wake();
  }

  /**
   * Queues the handler's wake, once. Inside the handler's own turn (a re-pend after a batch) the
   * wake is deferred through the host: the handler's system lane is being drained right now and
   * would run a wake pushed into it in the same turn, letting one vector drain a whole storm while
   * every other actor waits.
   */
  wake(): void {
    if (this.wakeQueued || this.handler === null || this.freed) return;
    // OSv's set_affinity_and_wake: a handler that moved since the last wake takes its vector along.
    // Its ref (shared by every holder) points at the new home; the old cell is retired.
    const handler = this.handler.ref.cell.controlCell;
    if (handler !== this.handler) this.retarget(handler);
    this.wakeQueued = true;
    this.wakes++;
    // A remote wake is sent from the controller's turn, so a burst raised now goes as one batch.
    if (handler.isRemote()) this.host.defer(this.serviceRemote);
    else if (this.kernel.current === handler) this.host.defer(this.queueWake);
    else this.pushWake();
  }

  private retarget(handler: Cell): void {
    bindHandler(this as VectorState<unknown>, handler);
    this.retargets++;
  }

  /**
   * The handler (re)started: its previous incarnation may have died in service, or the wake queued
   * for it may have been dropped while it was suspended. Step the line as if that drain had ended
   * (pending again if events wait, else idle) and wake afresh; a stale wake still in the lane finds
   * the line already served and does nothing.
   */
  recover(): void {
    this.wakeQueued = false;
    if (this.line === Line.inService) this.step(ringInput('drain-done', this.ring.count));
    else if (this.line === Line.pending) this.wake();
  }

  stats(): VectorStats {
    return {
      vector: this.vector,
      name: this.name,
      cpu: this.cpu,
      retargets: this.retargets,
      line: lineStateNames[this.line]!,
      raised: this.raised,
      delivered: this.delivered,
      wakes: this.wakes,
      overruns: this.ring.overruns,
      batchMax: this.batchMax,
      queued: this.ring.count,
      dropped: this.dropped,
    };
  }

  private pushWake(): void {
    // Re-checked: a deferred wake may find the vector freed or its handler gone.
    const handler = this.handler;
    if (!this.wakeQueued || handler === null || this.freed) return;
    if (handler.status >= Status.Stopping || !this.kernel.runInTurnOf(handler.ref as never, this.serviceRun as never)) {
      // The handler is going away for good: the line stays pending, events keep filling the ring
      // (then count as overruns), and a handler bound later recovers the line.
      this.wakeQueued = false;
    }
  }
}

/** Vectors served by each handler actor, so a restarted handler can recover its lines. */
const servedBy = new WeakMap<Cell, Set<VectorState<unknown>>>();

/** @internal Makes `cell` the handler of `vector` (no wake: see `recoverLinesOf`). */
export function bindHandler(vector: VectorState<unknown>, cell: Cell): void {
  if (vector.handler !== null && vector.handler !== cell) servedBy.get(vector.handler)?.delete(vector);
  vector.handler = cell;
  vector.cpu = cell instanceof RemoteCell ? cell.cpu : vector.kernel.cpu;
  let lines = servedBy.get(cell);
  if (lines === undefined) servedBy.set(cell, (lines = new Set()));
  lines.add(vector);
}

/** @internal Forgets the handler of a vector being freed. */
export function unbindHandler(vector: VectorState<unknown>): void {
  if (vector.handler !== null) servedBy.get(vector.handler)?.delete(vector);
  vector.handler = null;
}

/** @internal Called by a handler incarnation as it starts: recovers every line it serves. */
export function recoverLinesOf(cell: Cell): void {
  const lines = servedBy.get(cell);
  if (lines === undefined) return;
  for (const vector of lines) vector.recover();
}
