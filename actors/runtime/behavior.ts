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
 * How to make incarnations of an actor, given its start arguments `A` (plain data; `void` for none):
 * a class (extend `Actor`; it receives the arguments as `this.args`), `fromReceive(fn)` for a
 * stateless function, `fromSetup((ctx, args) => instance)` for closure state, and
 * `fromMachine(machine)` for an xstate v5 machine. The arguments are kept with the actor: every
 * incarnation a supervisor restarts gets them again, and a spawn on another CPU carries them.
 *
 * @example
 * ```ts
 * class Counter extends Actor<CounterMsg, { readonly start: number }> {
 *   count = this.args.start;
 *   receive(msg: CounterMsg, ctx: ActorContext<CounterMsg>) {
 *     if (msg.type === 'add') this.count += msg.n;
 *     else ctx.reply(msg, this.count);
 *   }
 * }
 * const counter = kernel.spawn(Counter, { args: { start: 10 } });
 * const same = kernel.spawn(Counter.with({ start: 10 }));
 * ```
 */
export type Behavior<M extends Message, A = void> = ActorClass<M, A> | BehaviorFactory<M, A>;

/** Any behaviour, whatever its messages and arguments: what the runtime stores and routes. */
export type AnyBehavior = Behavior<Message, never>;

export interface ActorClass<M extends Message, A = void> {
  new (args: A): ActorInstance<M>;
}

export interface BehaviorFactory<M extends Message, A = void> {
  readonly kind: 'factory';
  /** A label for traces and errors (the class or function name). */
  readonly label: string;
  create(ctx: ActorContext<M>, args: A): ActorInstance<M>;
  /** True when the actor has no state of its own (`fromReceive`): it can move between CPUs as it is. */
  readonly stateless?: boolean;
  /** True for a supervisor (`supervisor()`): as a child, its type is `supervisor`. */
  readonly supervises?: boolean;
  /** Set by `withArgs`: the behaviour these arguments were bound to (what another CPU spawns, with `args`). */
  readonly bound?: { readonly behavior: Behavior<M, never>; readonly args: unknown };
}

/**
 * Base class for class-based actors. Subclasses implement `receive` and may add the hooks; their
 * start arguments are `this.args` (field initialisers may read them).
 */
export abstract class Actor<M extends Message, A = void> implements ActorInstance<M> {
  /** The start arguments (absent, not a field, on an actor that takes none: idle actors stay small). */
  declare readonly args: A;

  constructor(args: A) {
    if (args !== undefined) (this as { args: A }).args = args;
  }

  abstract receive(message: M, ctx: ActorContext<M>): void | PromiseLike<void>;

  /**
   * This actor class with its start arguments bound: spawn it with no `args`.
   *
   * @example
   * ```ts
   * kernel.spawn(Counter.with({ start: 10 }));
   * ```
   */
  static with<M extends Message, A>(this: ActorClass<M, A>, args: A): BehaviorFactory<M> {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass `with` is called on, not Actor.
    return withArgs(this, args);
  }
}

/**
 * `behavior` with its start arguments bound: a behaviour that takes none. On another CPU it is
 * spawned as `behavior` (which a boot module must export) with `args`.
 *
 * @example
 * ```ts
 * const worker = withArgs(fromSetup<WorkMsg, { id: number }>((ctx, { id }) => makeWorker(id)), { id: 7 });
 * ```
 */
export function withArgs<M extends Message, A>(behavior: Behavior<M, A>, args: A): BehaviorFactory<M> {
  const factory = (behavior as BehaviorFactory<M, A>).kind === 'factory' ? (behavior as BehaviorFactory<M, A>) : undefined;
  return {
    kind: 'factory',
    label: behaviorLabel(behavior as Behavior<never, never>),
    create: (ctx) => createInstance(behavior, ctx, args),
    // What the behaviour is stays true with its arguments bound (a supervisor's child type, say).
    ...(factory?.stateless !== undefined ? { stateless: factory.stateless } : {}),
    ...(factory?.supervises !== undefined ? { supervises: factory.supervises } : {}),
    bound: { behavior: behavior as Behavior<M, never>, args },
  };
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
 * An actor whose state lives in a closure made per incarnation, from its context and start arguments.
 *
 * @example
 * ```ts
 * const counter = fromSetup<CounterMsg, { readonly start: number }>((ctx, { start }) => {
 *   let count = start;
 *   return { receive: (msg, ctx) => (msg.type === 'add' ? void (count += msg.n) : ctx.reply(msg, count)) };
 * });
 * kernel.spawn(counter, { args: { start: 10 } });
 * ```
 */
export function fromSetup<M extends Message, A = void>(
  setup: (ctx: ActorContext<M>, args: A) => ActorInstance<M>,
  label = setup.name || 'setup',
): BehaviorFactory<M, A> {
  return { kind: 'factory', label, create: setup };
}

export function behaviorLabel(behavior: AnyBehavior | Behavior<never, never>): string {
  return 'kind' in behavior && behavior.kind === 'factory' ? behavior.label : (behavior as ActorClass<never, never>).name || 'actor';
}

export function createInstance<M extends Message, A>(behavior: Behavior<M, A>, ctx: ActorContext<M>, args: A): ActorInstance<M> {
  if ((behavior as BehaviorFactory<M, A>).kind === 'factory') return (behavior as BehaviorFactory<M, A>).create(ctx, args);
  return new (behavior as ActorClass<M, A>)(args);
}
