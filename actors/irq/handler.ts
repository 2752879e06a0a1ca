import type { ActorInstance, BehaviorFactory } from '../runtime/behavior.js';
import type { Cell } from '../runtime/cell.js';
import { fromSystem, type SystemActorInstance } from '../runtime/system-context.js';
import type { ActorContext } from '../runtime/context.js';
import { InvariantError } from '../../ground/errors.js';
import type { Message } from '../../ground/message.js';
import type { ExitReason } from '../runtime/signals.js';
import { Line, LineInput, type LineState, ringInput } from './line.js';
import { recoverLinesOf, type VectorState } from './vector.js';

/** Marks behaviours and incarnations made by `interruptHandler`, so the controller can tell them apart. */
export const handlerMark: unique symbol = Symbol('osprey.irq.handler');

/**
 * What an interrupt handler does with a batch: `events` in raise order (a fresh array it may
 * keep), `vector` the vector they came from. A throw crashes the handler actor like a throw in
 * `receive`: its supervisor restarts it, and the events of that batch are not delivered again.
 */
export type OnEvents<T> = (events: readonly T[], ctx: ActorContext<never>, vector: number) => void;

/** The optional rest of an interrupt handler actor. */
export interface InterruptHandlerOptions<M extends Message = never> {
  /** Label in traces and errors (default `irq-handler`). */
  readonly label?: string;
  /** Ordinary mail, handled after pending interrupts (those run ahead, through the system lane). */
  readonly receive?: (message: M, ctx: ActorContext<M>) => void | PromiseLike<void>;
  /** Runs when an incarnation starts, before its lines are recovered. */
  readonly started?: (ctx: ActorContext<M>) => void;
  /** Runs when an incarnation ends (a restart or a stop). */
  readonly stopped?: (ctx: ActorContext<M>, reason: ExitReason) => void | PromiseLike<void>;
}

/** A behaviour made by `interruptHandler`, for events of type `T`. */
export interface InterruptHandlerBehavior<T, M extends Message = never> extends BehaviorFactory<M> {
  readonly [handlerMark]: OnEvents<T>;
}

/** @internal An incarnation of an interrupt handler: the controller calls `onEvents` from its wake. */
interface InterruptHandlerInstance<M extends Message> extends ActorInstance<M> {
  readonly [handlerMark]: OnEvents<unknown>;
}

/**
 * The behaviour of an interrupt handler actor (OSv's interrupt thread). The controller wakes it
 * through its system lane, ahead of its mail, once per burst of events: each wake hands it up to a
 * batch of the vector's events, then the line is unmasked and the ring checked once more, so an
 * event raised while it ran (even by itself) is never stranded.
 *
 * @example
 * ```ts
 * const irq = kernel.subsystem(interrupts);
 * const nic = await irq.allocate<Packet>({
 *   name: 'nic0',
 *   handler: interruptHandler<Packet>((packets) => { for (const p of packets) classify(p); }),
 * });
 * irq.raise(nic, packet); // from the driver: records, wakes the handler once per burst
 * ```
 */
export function interruptHandler<T, M extends Message = never>(
  onEvents: OnEvents<T>,
  options: InterruptHandlerOptions<M> = {},
): InterruptHandlerBehavior<T, M> {
  const label = options.label ?? 'irq-handler';
  const receive = options.receive ?? ((message: M) => refuseMail(label, message));
  const incarnation = fromSystem<M>((ctx) => {
    const instance: InterruptHandlerInstance<M> & SystemActorInstance<M> = {
      [handlerMark]: onEvents as OnEvents<unknown>,
      receive,
      started() {
        options.started?.(ctx);
        recoverLinesOf(ctx.cell);
      },
      ...(options.stopped !== undefined ? { stopped: options.stopped } : {}),
    };
    return instance;
  }, label);
  return {
    ...incarnation,
    [handlerMark]: onEvents,
    // An incarnation keeps nothing of its own (the callbacks belong to the behaviour), so a handler
    // spawned with `kernel.spawn` from a boot module's export may move to another CPU; its vectors
    // follow it (see remote-line.ts).
    stateless: true,
  };
}

/** True for behaviours made by `interruptHandler`. */
export function isInterruptHandler(behavior: unknown): behavior is InterruptHandlerBehavior<unknown, Message> {
  return typeof behavior === 'object' && behavior !== null && typeof (behavior as { [handlerMark]?: unknown })[handlerMark] === 'function';
}

/**
 * The wake, run in the handler's turn: take a batch, hand it to the handler, unmask, and check the
 * ring once more (OSv's `wait_until` predicate). A wake that lost its meaning returns at once: the
 * vector was freed or rebound, the line was masked since, or a restart queued a newer wake.
 */
export function serviceLine(vector: VectorState<never>, handler: Cell): void {
  if (!vector.wakeQueued || vector.handler !== handler) return;
  vector.wakeQueued = false;
  if (vector.line !== Line.pending) return;
  const instance = handler.instance as InterruptHandlerInstance<never> | null;
  const onEvents = instance?.[handlerMark];
  if (onEvents === undefined) throw new InvariantError(`${handler.describe()} serves irq ${vector.vector} but is not an interrupt handler`);
  vector.step(LineInput.serviceStart);
  const batch = vector.ring.take(vector.batchEvents);
  vector.delivered += batch.length;
  if (batch.length > vector.batchMax) vector.batchMax = batch.length;
  // A throw leaves the line in service; the restarted incarnation recovers it (see VectorState.recover).
  if (batch.length > 0) onEvents(batch, handler as unknown as ActorContext<never>, vector.vector);
  // The callback may have freed the vector or masked the line; only a line still in service unmasks.
  // (Read through a widening cast: TypeScript keeps the `pending` narrowing across the calls above.)
  const line = vector.line as LineState;
  if (!vector.freed && line === Line.inService) vector.step(ringInput('drain-done', vector.ring.count));
}

function refuseMail(label: string, message: unknown): never {
  const type = typeof message === 'object' && message !== null ? String((message as { type?: unknown }).type) : typeof message;
  throw new InvariantError(`interrupt handler ${label} takes no mail (got '${type}'); pass options.receive to handle mail`);
}
