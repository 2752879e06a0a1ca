import type { VectorStats } from '../../protocols/irq.js';
import type { ChildSpec } from '../../supervisors/child-spec.js';
import { assert, invariantBroken } from '../../ground/assert.js';
import type { BehaviorFactory } from '../runtime/behavior.js';
import { type Cell, Status } from '../runtime/cell.js';
import { ActorStoppedError, ClosedError, InvariantError } from '../../ground/errors.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { ActorRef, type AnyActorRef } from '../runtime/ref.js';
import type { SubsystemHost } from '../plugin/subsystem.js';
import { fromSystem } from '../runtime/system-context.js';
import { type InterruptHandlerBehavior, isInterruptHandler, serviceLine } from './handler.js';
import { Line, LineInput, ringInput } from './line.js';
import * as limits from './limits.js';
import { controllerAnchor, controllerNames } from './anchor.js';
import { bindHandler, unbindHandler, type VectorHost, type VectorNumber, VectorState } from './vector.js';
import { VectorRing } from './vector-ring.js';
import { serviceRemoteLine } from './remote-line.js';
import { sendBatch } from './frames.js';

/** How to allocate a vector. */
export interface VectorSpec<T> {
  /** Shown in stats and traces (1–64 characters); need not be unique. */
  readonly name: string;
  /**
   * The handler: a behaviour made by `interruptHandler` (the controller spawns it under the kernel's
   * `irq` supervisor, restarted if it crashes) or the ref of an actor spawned from one (its owner
   * supervises it; one actor may serve several vectors). That actor may live on another CPU, or
   * move there later (`sched.migrate`, the balancer): the vector follows it, see remote-line.ts.
   */
  readonly handler: AnyActorRef | InterruptHandlerBehavior<T, never>;
  /** Ring capacity in events, a power of two (default 1024, at most 2^20). */
  readonly ringCapacity?: number;
  /** Events one wake hands to the handler (default 256). */
  readonly batchEvents?: number;
  /** Shutdown time of a spawned handler, in ms or `brutal-kill` (default 5000). */
  readonly shutdown?: number | 'brutal-kill';
}

/**
 * The interrupt controller of one CPU: numbered vectors, each with a bounded ring, an interrupt
 * line (the machine of `machine.ts`) and a handler actor. `raise` is the ISR: it records the
 * event and, only when the line was idle, masks it and wakes the handler once through the
 * handler's system lane (`kernel.runInTurnOf`), ahead of its mail. However many events come
 * before the handler runs, it is woken once; it drains a batch, unmasks, and checks again.
 *
 * One controller per CPU's kernel, the handle of the `irq` subsystem (`kernel.subsystem(irq)`); it
 * lives in the kernel's tree as the actor `kernel.irq.controller` under the `irq` supervisor, next
 * to the handler actors it spawns, and it frees every vector (detaching their drivers) when that
 * actor stops, e.g. at `kernel.shutdown()`.
 *
 * @example
 * ```ts
 * const irq = kernel.subsystem(interrupts);
 * const vector = await irq.allocate<number>({ name: 'demo', handler: interruptHandler<number>((ns) => sum(ns)) });
 * for (let n = 0; n < 1000; n++) irq.raise(vector, n); // one wake, four batches of 256 at most
 * irq.stats(vector); // { raised: 1000, delivered: …, wakes: …, overruns: 0, … }
 * ```
 */
export class InterruptController {
  private readonly table: Array<VectorState<unknown> | undefined> = new Array(limits.vectorCountMax).fill(undefined);
  /** Vectors whose handler the controller spawned (and stops on free). */
  private readonly owned = new Set<number>();
  private closing = false;
  /** The controller's actor (see anchor.ts), once started. */
  private anchor: Cell | null = null;
  private readonly host: VectorHost;

  readonly kernel: KernelCore;

  /** @internal The irq subsystem makes one per CPU (see subsystem.ts). */
  constructor(private readonly subsystem: SubsystemHost) {
    this.kernel = subsystem.kernel;
    this.host = { kernel: this.kernel, routing: subsystem.routing, service: serviceLine, serviceRemote: serviceRemoteLine, defer: (work) => this.defer(work) };
  }

  /** @internal The controller's actor, a static child of the `irq` supervisor. */
  anchorSpec(): ChildSpec<never> {
    return {
      id: controllerNames.childId,
      start: controllerAnchor(this),
      restart: 'permanent',
      options: { name: controllerNames.actor, priority: 'realtime' },
      shutdown: limits.controllerShutdownMs,
    };
  }

  /**
   * Allocates the lowest free vector and binds (or spawns) its handler. Resolves once the handler
   * is ready to be woken.
   */
  async allocate<T>(spec: VectorSpec<T>): Promise<VectorNumber<T>> {
    this.assertOpen('allocate');
    const { ringCapacity, batchEvents } = checkSpec(spec as VectorSpec<unknown>);
    const handler = spec.handler;
    if (handler instanceof ActorRef) {
      await this.checkHandlerRef(handler);
      this.assertOpen('allocate');
    }
    const number = this.table.indexOf(undefined);
    if (number < 0) throw new RangeError(`all ${limits.vectorCountMax} interrupt vectors are allocated`);
    const vector = new VectorState<T>(this.host, number, spec.name, new VectorRing<T>(ringCapacity), batchEvents);
    // Reserved before any await, so concurrent allocations get different numbers.
    this.table[number] = vector as VectorState<unknown>;
    if (handler instanceof ActorRef) {
      bindHandler(vector as VectorState<unknown>, handler.cell.controlCell);
      return number as VectorNumber<T>;
    }
    try {
      await this.irqSupervisor().ask({ type: 'start-child', spec: handlerSpec(vector, handler, spec.shutdown) });
      this.owned.add(number);
    } catch (error) {
      vector.freed = true;
      this.table[number] = undefined;
      throw error;
    }
    return number as VectorNumber<T>;
  }

  /**
   * The ISR, the hot path: records `event` in the vector's ring and, if the line was idle, masks
   * it and wakes the handler. Returns false when the ring was full: the event was dropped and
   * counted as an overrun. Raising on a vector that is not allocated is a programmer error.
   */
  raise<T>(vector: VectorNumber<T>, event: T): boolean {
    const state = this.table[vector];
    if (state === undefined || state.freed) throw new InvariantError(`irq ${vector} is not allocated`);
    state.raised++;
    if (!state.ring.push(event)) return false;
    // Only an idle line changes state: pending, in-service and masked lines just record.
    if (state.line === Line.idle) state.step(LineInput.raise);
    return true;
  }

  /** Masks the line in software: events are still recorded, nobody is woken. */
  mask(vector: VectorNumber<unknown>): void {
    this.require(vector).step(LineInput.mask);
  }

  /** Unmasks a software-masked line; if events came meanwhile the handler is woken. */
  unmask(vector: VectorNumber<unknown>): void {
    const state = this.require(vector);
    state.step(ringInput('unmask', state.ring.count));
  }

  /**
   * Frees a vector: its drivers are detached, events still queued are dropped (counted), and a
   * handler the controller spawned is stopped. Resolves with the vector's final stats.
   */
  async free(vector: VectorNumber<unknown>): Promise<VectorStats> {
    const state = this.require(vector);
    const owned = this.release(state);
    if (owned !== null && !this.closing) {
      // A terminated child's spec stays with its supervisor (OTP); the vector's id must be free for reuse.
      const supervisor = this.irqSupervisor();
      const terminated = supervisor.ask({ type: 'terminate-child', id: owned });
      const deleted = supervisor.ask({ type: 'delete-child', id: owned });
      await terminated;
      await deleted;
    }
    this.table[vector] = undefined;
    return state.stats();
  }

  /** Counters of one vector. */
  stats(vector: VectorNumber<unknown>): VectorStats {
    return this.require(vector).stats();
  }

  /** Counters of every allocated vector, by vector number. */
  allStats(): VectorStats[] {
    const all: VectorStats[] = [];
    for (const state of this.table) if (state !== undefined && !state.freed) all.push(state.stats());
    return all;
  }

  /**
   * @internal Registers a cleanup that runs when `vector` is freed (a driver detaching itself);
   * drivers feeding a vector must stop raising on it once it is freed.
   */
  onFree(vector: VectorNumber<unknown>, detach: () => void): void {
    this.require(vector).detachers.push(detach);
  }

  /** @internal The controller's actor started (see anchor.ts): the controller is open, its table empty. */
  anchored(cell: Cell): void {
    this.anchor = cell;
    this.closing = false;
  }

  /**
   * @internal Runs `work` behind the actors runnable now: in the anchor actor's next turn, which
   * joins the back of the run queue (no event-loop hop). Without a live anchor (the controller is
   * going away) it falls back to the clock's next ready slot.
   */
  defer(work: () => void): void {
    const anchor = this.anchor;
    if (anchor !== null && this.kernel.current !== anchor && this.kernel.runInTurnOf(anchor.ref as never, work)) return;
    this.kernel.clock.schedule(work);
  }

  /**
   * @internal The controller's actor stopped (kernel shutdown, its supervisor went down, or it was
   * stopped alone): free everything at once, and have the handlers it spawned stopped. Its
   * supervisor starts it again, and the controller opens again, empty.
   */
  released(): void {
    if (this.closing) return;
    this.closing = true;
    this.anchor = null;
    const orphans: string[] = [];
    for (let n = 0; n < this.table.length; n++) {
      const state = this.table[n];
      if (state === undefined) continue;
      const owned = this.release(state);
      if (owned !== null) orphans.push(owned);
      this.table[n] = undefined;
    }
    // The controller's actor stopped alone (its supervisor goes on, and will start it again): the
    // handlers it spawned serve nothing now, and their child ids must be free for the vectors of
    // the next incarnation. A supervisor that is stopping stops them itself.
    if (orphans.length === 0) return;
    let supervisor: ReturnType<InterruptController['irqSupervisor']>;
    try {
      supervisor = this.irqSupervisor();
    } catch {
      return; // the supervisor is gone, and its children with it
    }
    for (const id of orphans) {
      supervisor.ask({ type: 'terminate-child', id }).catch(() => {});
      supervisor.ask({ type: 'delete-child', id }).catch(() => {});
    }
  }

  get isClosed(): boolean {
    return this.closing;
  }

  /** Marks `state` freed, detaches its drivers, drops its queue; returns the child id of an owned handler. */
  private release(state: VectorState<unknown>): string | null {
    if (state.freed) invariantBroken(`irq ${state.vector} is freed twice`);
    state.freed = true;
    state.wakeQueued = false;
    // Detach first: a driver must not raise into a vector whose ring is being dropped.
    for (const detach of state.detachers.splice(0)) detach();
    state.dropped += state.ring.clear();
    const owned = this.owned.delete(state.vector) ? handlerChildId(state.vector) : null;
    unbindHandler(state);
    assert(state.ring.count === 0 && state.handler === null, 'a released vector holds nothing');
    return owned;
  }

  /**
   * Refuses a handler ref that is no interrupt handler or is stopped. One on another CPU is asked
   * there, with an empty batch: the far CPU checks the actor and answers.
   */
  private async checkHandlerRef(ref: AnyActorRef): Promise<void> {
    const cell = ref.cell.controlCell;
    if (cell.isRemote()) {
      await sendBatch(this.subsystem.routing!, cell, -1, []);
      return;
    }
    if (!isInterruptHandler(cell.behavior)) throw new TypeError(`${ref.toString()} is not an interrupt handler actor (spawn it from interruptHandler())`);
    if (cell.status >= Status.Stopping) throw new ActorStoppedError(ref.toString(), 'irq.allocate');
  }

  private require(vector: number): VectorState<unknown> {
    const state = this.table[vector];
    if (state === undefined || state.freed) throw new RangeError(`irq ${vector} is not allocated`);
    return state;
  }

  private assertOpen(what: string): void {
    if (this.closing) throw new ClosedError('the interrupt controller', what);
  }

  private irqSupervisor() {
    return this.subsystem.supervisor();
  }
}

function handlerChildId(vector: number): string {
  return `irq-${vector}`;
}

/** The child spec of a spawned handler: its `create` binds each new cell (first start or respawn). */
function handlerSpec<T>(vector: VectorState<T>, handler: InterruptHandlerBehavior<T, never>, shutdown: number | 'brutal-kill' | undefined): ChildSpec<never> {
  const bound: BehaviorFactory<never> = fromSystem<never>((ctx) => {
    if (!vector.freed) bindHandler(vector as VectorState<unknown>, ctx.cell);
    return handler.create(ctx);
  }, handler.label);
  return {
    id: handlerChildId(vector.vector),
    start: bound,
    restart: 'permanent',
    shutdown: shutdown ?? limits.handlerShutdownMsDefault,
    options: { name: `kernel.irq.${vector.vector}`, priority: 'realtime' },
  };
}

function checkSpec(spec: VectorSpec<unknown>): { ringCapacity: number; batchEvents: number } {
  const name = spec.name;
  if (typeof name !== 'string' || name.length === 0 || name.length > limits.vectorNameLengthMax) {
    throw new TypeError(`a vector name is a string of 1..${limits.vectorNameLengthMax} characters`);
  }
  const ringCapacity = spec.ringCapacity ?? limits.ringCapacityEventsDefault;
  if (
    !(
      Number.isInteger(ringCapacity) &&
      ringCapacity >= limits.ringCapacityEventsMin &&
      ringCapacity <= limits.ringCapacityEventsMax &&
      (ringCapacity & (ringCapacity - 1)) === 0
    )
  ) {
    throw new RangeError(`vector '${name}': ringCapacity must be a power of two within ${limits.ringCapacityEventsMin}..${limits.ringCapacityEventsMax}`);
  }
  const batchEvents = spec.batchEvents ?? Math.min(limits.drainBatchEventsDefault, ringCapacity);
  if (!(Number.isInteger(batchEvents) && batchEvents >= 1 && batchEvents <= limits.drainBatchEventsMax)) {
    throw new RangeError(`vector '${name}': batchEvents must be an integer within 1..${limits.drainBatchEventsMax}`);
  }
  if (!(spec.handler instanceof ActorRef) && !isInterruptHandler(spec.handler)) {
    throw new TypeError(`vector '${name}': the handler must be an ActorRef or a behaviour made by interruptHandler()`);
  }
  return { ringCapacity, batchEvents };
}
