import type { Message } from '../../ground/message.js';
import type { ActorInstance, BehaviorFactory } from './behavior.js';
import type { Cell } from './cell.js';
import type { ActorContext } from './context.js';
import type { KernelCore } from './kernel-core.js';
import type { ExitReason, Signal } from './signals.js';

/**
 * What a kernel actor sees: the user's `ActorContext`, plus the internals kernel code works with:
 * the actor's own cell (its status, children, system lane) and its CPU's kernel core (lifecycle,
 * asks, dispatcher, routing). Supervisors, the scheduler, interrupt handlers and subsystem actors
 * get it through `fromSystem`; the plug-in toolkit (`osprey/plugin`) exports it, the public API does not.
 *
 * Every context the runtime hands to a hook is the actor's cell, which is a SystemContext, so a
 * kernel actor needs no cast to reach its cell.
 */
export interface SystemContext<M extends Message> extends ActorContext<M> {
  /** The actor's cell (the context itself). */
  readonly cell: Cell;
  /** The kernel core of the actor's CPU. */
  readonly kernel: KernelCore;
}

/** One incarnation of a kernel actor: an `ActorInstance` whose hooks get the SystemContext. */
export interface SystemActorInstance<M extends Message> {
  receive(message: M, ctx: SystemContext<M>): void | PromiseLike<void>;
  started?(ctx: SystemContext<M>): void;
  stopped?(ctx: SystemContext<M>, reason: ExitReason): void | PromiseLike<void>;
  signal?(signal: Signal, ctx: SystemContext<M>): void;
}

/**
 * The behaviour of a kernel actor whose incarnations are made by `create`, with the SystemContext.
 *
 * @example
 * ```ts
 * const anchor = fromSystem<never>((ctx) => ({
 *   started: () => controller.anchored(ctx.cell),
 *   receive: () => {},
 * }), 'irq-controller');
 * ```
 */
export function fromSystem<M extends Message, A = void>(
  create: (ctx: SystemContext<M>, args: A) => SystemActorInstance<M>,
  label = create.name || 'system',
): BehaviorFactory<M, A> {
  // The runtime calls `create` and every hook with the actor's cell, a SystemContext, so the
  // narrower parameter types below always hold.
  return { kind: 'factory', label, create: create as (ctx: ActorContext<M>, args: A) => ActorInstance<M> };
}
