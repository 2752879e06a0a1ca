import type {
  ActorRef as XstateActorRef,
  AnyActorLogic,
  AnyActorRef as AnyXstateActorRef,
  EventFrom,
  EventObject,
  InteropSubscribable,
  Readable,
  Snapshot,
  Subscription,
} from 'xstate';
import { UsageError } from '../../ground/errors.js';
import type { Message } from '../../ground/message.js';
import { formatPid } from '../../ground/pid.js';
import type { Cell } from './cell.js';
import { ActorRef } from './ref.js';

/** xstate's type of an actor system (its `AnyActorSystem`, which xstate does not export). */
type AnyActorSystem = AnyXstateActorRef['system'];

/** What an `XstateRef` knows beyond its kernel ref; a machine actor's own `self` knows all of it. */
export interface XstateRefParts {
  /** xstate's id: a child's invoke or spawn id; otherwise the actor's name or pid. */
  readonly id?: string;
  /** The actor's current snapshot (a machine actor's, a promise's…); without it `getSnapshot` throws. */
  readonly snapshot?: () => Snapshot<unknown>;
  /** The xstate system of the machine tree the actor belongs to. */
  readonly system?: AnyActorSystem;
  /** xstate's `_parent`: where `sendParent` and a callback's `sendBack` go. */
  readonly parent?: AnyXstateActorRef;
  readonly src?: string | AnyActorLogic;
}

/**
 * Where `Symbol.observable` lives: the platform has no such symbol yet, so xstate (like rxjs) falls
 * back to the conventional string key.
 */
const observableKey: typeof Symbol.observable = (Symbol.observable ?? '@@observable') as typeof Symbol.observable;

/**
 * A kernel ref that xstate accepts as an actor: the kernel ref itself (it is an `ActorRef`, so it
 * crosses CPUs, can be monitored and is told like any ref) with the members xstate's `ActorRef`
 * type has. `send` is `tell`. A machine actor's `self` is one, with its live snapshot, its xstate
 * system and its parent; `xstateRef(ref)` makes one of any kernel ref, for `sendTo`.
 *
 * What a kernel actor cannot be asked throws a `UsageError` that says what to do instead:
 * observing a snapshot (`subscribe`, `select`), listening to emitted events (`on`; use
 * `fromMachine`'s `emitTo`), `stop` (use `ctx.stop` or `kernel.stop`), and `getSnapshot` of an
 * actor whose state is its own (ask it).
 */
export class XstateRef<M extends Message> extends ActorRef<M> implements XstateActorRef<Snapshot<unknown>, M> {
  readonly id: string;
  readonly _parent: AnyXstateActorRef | undefined;
  readonly src: string | AnyActorLogic;
  private readonly parts: XstateRefParts;

  /** @internal Made by `xstateRef(ref)`, and by the runtime for a machine's `self`. */
  constructor(kernelRef: ActorRef<M>, parts: XstateRefParts = {}) {
    super(kernelRef.cell);
    // An actor that moves to another CPU keeps its ref and points it at its new home
    // (actors/cpu/migrations.ts): this view reads the cell through that ref, so it moves along.
    Object.defineProperty(this, 'cell', {
      get: (): Cell => kernelRef.cell,
      set: (cell: Cell) => {
        kernelRef.cell = cell;
      },
      enumerable: false,
      configurable: true,
    });
    this.parts = parts;
    this.id = parts.id ?? kernelRef.cell.name ?? formatPid(kernelRef.cell.pid);
    this._parent = parts.parent;
    this.src = parts.src ?? 'osprey';
  }

  get sessionId(): string {
    return formatPid(this.pid);
  }

  /** xstate's `logic`: what the actor runs, when it is a machine (xstate's inspection reads its `config`). */
  get logic(): AnyActorLogic | undefined {
    return typeof this.src === 'string' ? undefined : this.src;
  }

  get system(): AnyActorSystem {
    if (this.parts.system === undefined) throw this.unsupported('system', 'only a machine actor belongs to an xstate system');
    return this.parts.system;
  }

  /** xstate's `send`: the kernel's `tell`. */
  send(event: M): void {
    this.tell(event);
  }

  /** What xstate's own systems call to deliver an event (a plain xstate actor that sends to this ref). */
  _send(event: M): void {
    this.tell(event);
  }

  /** A kernel actor starts when it is spawned: nothing to do. */
  start(): void {}

  stop(): void {
    throw this.unsupported('stop()', 'stop a kernel actor with ctx.stop(ref) from its parent or kernel.stop(ref)');
  }

  getSnapshot(): Snapshot<unknown> {
    if (this.parts.snapshot === undefined) throw this.unsupported('getSnapshot()', 'the state of a kernel actor is its own: ask it');
    return this.parts.snapshot();
  }

  getPersistedSnapshot(): Snapshot<unknown> {
    return this.getSnapshot();
  }

  on(type: string): Subscription {
    throw this.unsupported(`on('${type}')`, "a machine actor's emitted events go to fromMachine's emitTo");
  }

  subscribe(): Subscription {
    throw this.unsupported('subscribe()', 'a kernel actor reports by messages: monitor it, or have it tell you');
  }

  select<T>(): Readable<T> {
    throw this.unsupported('select()', 'a kernel actor reports by messages: monitor it, or have it tell you');
  }

  [observableKey](): InteropSubscribable<Snapshot<unknown>> {
    throw this.unsupported('an observable', 'a kernel actor reports by messages: monitor it, or have it tell you');
  }

  private unsupported(what: string, instead: string): UsageError {
    return new UsageError(`${what} is not available on the kernel actor ${this.cell.describe()}: ${instead}`);
  }
}

/** xstate actors (children a machine spawned) that stand for kernel actors, and those actors' refs. */
const kernelRefs = new WeakMap<object, ActorRef<Message>>();

/**
 * @internal Ties the xstate actor a machine's transition created for a child (it never runs) to the
 * kernel actor that runs instead: sending to it, from an action, a `sendTo`, or `system.get`, tells
 * the kernel actor, and its `getSnapshot` reads `snapshot`.
 */
export function bindKernelRef(xstateActor: AnyXstateActorRef, ref: ActorRef<Message>, snapshot: () => Snapshot<unknown>): void {
  kernelRefs.set(xstateActor, ref);
  const send = (event: EventObject): void => {
    ref.tell(event);
  };
  // Its own `send` would queue the event in a mailbox that never runs, and its own snapshot is the
  // one xstate computed when it created it.
  Object.assign(xstateActor, { send, _send: send, getSnapshot: snapshot });
}

/** @internal The kernel ref an xstate actor stands for, or undefined if it stands for none. */
export function boundKernelRef(target: unknown): ActorRef<Message> | undefined {
  if (target instanceof ActorRef) return target as ActorRef<Message>;
  return typeof target === 'object' && target !== null ? kernelRefs.get(target) : undefined;
}

/**
 * The xstate view of a kernel ref: what `sendTo` accepts as a target, typed by the messages the
 * actor accepts, so a wrong event is a compile error. `send` is `tell`.
 *
 * @example
 * ```ts
 * const log = kernel.spawn(fromReceive<{ type: 'entry'; text: string }>((msg) => console.log(msg.text)));
 * const machine = createMachine({
 *   on: { done: { actions: sendTo(xstateRef(log), { type: 'entry', text: 'done' }) } },
 * });
 * ```
 */
export function xstateRef<M extends Message>(ref: ActorRef<M>): XstateRef<M> {
  return ref instanceof XstateRef ? ref : new XstateRef(ref);
}

/**
 * The kernel ref behind an xstate actor of a machine actor: its `self`, a child it invoked or
 * spawned, its parent. Use it where a kernel ref is expected, e.g. a reply address for a kernel
 * actor. Throws a `UsageError` for an xstate actor the kernel does not run.
 *
 * @example
 * ```ts
 * entry: ({ self }) => pinger.tell({ type: 'ping', replyTo: kernelRef(self) }),
 * ```
 */
export function kernelRef<TActor extends AnyXstateActorRef>(actor: TActor): ActorRef<Extract<EventFrom<TActor>, Message>> {
  const ref = boundKernelRef(actor);
  if (ref === undefined) throw new UsageError(`xstate actor '${actor.id}' is not run by the kernel, so it has no kernel ref`);
  return ref as ActorRef<never>;
}
