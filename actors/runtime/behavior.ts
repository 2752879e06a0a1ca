import type { ActorContext } from './context.js';
import type { Message } from '../../ground/message.js';
import type { ExitReason, Signal } from './signals.js';

/**
 * One incarnation of an actor: what the kernel calls. A restart makes a fresh incarnation, so state
 * kept on it (fields of a class, variables of a setup closure) starts over.
 */
export interface ActorInstance<M extends Message> {
  /** Handles one message. Returning a promise makes the actor wait for it before the next message. */
  receive(message: M, ctx: ActorContext<M>): void | PromiseLike<void>;
  /** Runs when the incarnation starts (spawn or restart), before any message. */
  started?(ctx: ActorContext<M>): void;
  /** Runs when the incarnation ends; a returned promise is awaited up to the shutdown timeout. */
  stopped?(ctx: ActorContext<M>, reason: ExitReason): void | PromiseLike<void>;
  /** Receives monitor, link and child signals (see `Signal`). */
  signal?(signal: Signal, ctx: ActorContext<M>): void;
}

/**
 * How to make incarnations of an actor. Three kinds: a class with a no-argument constructor
 * (extend `Actor`), `fromReceive(fn)` for a stateless function, `fromSetup(ctx => instance)` for
 * closure state, and `fromMachine(machine)` for an xstate v5 machine.
 *
 * @example
 * ```ts
 * class Counter extends Actor<CounterMsg> {
 *   count = 0;
 *   receive(msg: CounterMsg, ctx: ActorContext<CounterMsg>) {
 *     if (msg.type === 'add') this.count += msg.n;
 *     else ctx.reply(msg, this.count);
 *   }
 * }
 * const counter = kernel.spawn(Counter);
 * ```
 */
export type Behavior<M extends Message> = ActorClass<M> | BehaviorFactory<M>;

export interface ActorClass<M extends Message> {
  new (): ActorInstance<M>;
}

export interface BehaviorFactory<M extends Message> {
  readonly kind: 'factory';
  /** A label for traces and errors (the class or function name). */
  readonly label: string;
  create(ctx: ActorContext<M>): ActorInstance<M>;
  /** True when the actor has no state of its own (`fromReceive`): it can move between CPUs as it is. */
  readonly stateless?: boolean;
  /** True for a supervisor (`supervisor()`): as a child, its type is `supervisor`. */
  readonly supervises?: boolean;
}

/** Base class for class-based actors. Subclasses implement `receive` and may add the hooks. */
export abstract class Actor<M extends Message> implements ActorInstance<M> {
  abstract receive(message: M, ctx: ActorContext<M>): void | PromiseLike<void>;
}

/**
 * A stateless actor from one function: the fast path, a single shared incarnation.
 *
 * @example
 * ```ts
 * const echo = kernel.spawn(fromReceive<EchoMsg>((msg, ctx) => ctx.reply(msg, msg.text)));
 * ```
 */
export function fromReceive<M extends Message>(
  receive: (message: M, ctx: ActorContext<M>) => void | PromiseLike<void>,
  label = receive.name || 'receive',
): BehaviorFactory<M> {
  const shared: ActorInstance<M> = { receive };
  return { kind: 'factory', label, create: () => shared, stateless: true };
}

/**
 * An actor whose state lives in a closure made per incarnation.
 *
 * @example
 * ```ts
 * const counter = fromSetup<CounterMsg>(() => {
 *   let count = 0;
 *   return { receive: (msg, ctx) => (msg.type === 'add' ? void (count += msg.n) : ctx.reply(msg, count)) };
 * });
 * ```
 */
export function fromSetup<M extends Message>(setup: (ctx: ActorContext<M>) => ActorInstance<M>, label = setup.name || 'setup'): BehaviorFactory<M> {
  return { kind: 'factory', label, create: setup };
}

export function behaviorLabel(behavior: Behavior<never>): string {
  return 'kind' in behavior && behavior.kind === 'factory' ? behavior.label : (behavior as ActorClass<never>).name || 'actor';
}

export function createInstance<M extends Message>(behavior: Behavior<M>, ctx: ActorContext<M>): ActorInstance<M> {
  if ((behavior as BehaviorFactory<M>).kind === 'factory') return (behavior as BehaviorFactory<M>).create(ctx);
  return new (behavior as ActorClass<M>)();
}
