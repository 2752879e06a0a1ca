import type { AnyActorRef as AnyXstateActorRef, AnyActorScope, AnyStateMachine, EventFromLogic, EventObject, SnapshotFrom } from 'xstate';
import { assert } from '../../ground/assert.js';
import { MachineError } from '../../ground/errors.js';
import type { Message } from '../../ground/message.js';
import type { Cell } from './cell.js';
import { replyValueOf } from './machine-reply.js';
import { MachineSystem } from './machine-system.js';
import type { ActorRef } from './ref.js';
import { boundKernelRef, XstateRef } from './xstate-ref.js';

/** What a machine's effects reach: its actor, and what the actor does with them. */
export interface MachineHost {
  readonly cell: Cell;
  /** An `emit` action's event. */
  emitted(event: EventObject): void;
  /**
   * The machine reached a top-level final state. Absent, the host ends the machine its own way
   * (a supervisor's machine has final states of its own).
   */
  finished?(output: unknown): void;
  /** A `reply` action's value, for the ask being handled. Absent, a reply is a dead letter. */
  replied?(value: unknown): void;
  /** Runs the machine's xstate children as kernel actors. Absent, invoking or spawning is a MachineError. */
  readonly children?: MachineChildTable;
  /** After a transition that leaves the machine active (xstate's `onSnapshot`, for a child's parent). */
  changed?(snapshot: unknown): void;
  /** xstate's id of the machine: an invoked or spawned child's id (default: the actor's name or pid). */
  readonly id?: string;
  /** xstate's `_parent`, where `sendParent` goes (default: the kernel parent). */
  readonly parent?: AnyXstateActorRef;
  /** The xstate system this machine shares with its tree (default: a system of its own). */
  readonly system?: MachineSystem;
  /** Where `log` actions write (default: nowhere). */
  readonly logger?: (...args: unknown[]) => void;
}

/** The machine's xstate children, each run as a kernel actor (see MachineChildren). */
export interface MachineChildTable {
  /** Starts the kernel actor for `child` unless it runs already. */
  spawn(child: AnyXstateActorRef): void;
  /** Stops the kernel actor for `child`, quietly: no done or error event follows. */
  stop(child: AnyXstateActorRef): void;
  /** After a transition: starts the children in `children` that do not run yet, stops those no longer there. */
  reconcile(children: Readonly<Record<string, AnyXstateActorRef | undefined>>): void;
}

interface ExecutableAction {
  readonly type: string;
  readonly params: unknown;
  readonly info: unknown;
  readonly exec: ((info: never, params: never) => void) | undefined;
}

/**
 * Runs an xstate v5 machine as pure transitions and executes the resulting actions itself, on the
 * kernel: the machine's logic (`getInitialSnapshot`, `transition`) computes each step under an
 * actor scope of the runner's own, and the actions come out as a list that the runner carries out
 * in order:
 * - `sendTo` and `sendParent` tell the target's kernel actor (a kernel ref, the machine's `self`,
 *   a child by id or ref, the parent);
 * - delayed events (`after`, `raise` and `sendTo` with a delay) are timers of the actor, so they
 *   are cancelled with its incarnation and run on virtual time;
 * - `emit` goes to the host;
 * - `spawnChild`, `invoke` and `spawn` in `assign` start kernel actors under this one, and
 *   `stopChild` or leaving an invoking state stops them (`host.children`);
 * - `reply` answers the ask being handled (`host.replied`);
 * - a top-level final state ends the machine with its output (`host.finished`).
 *
 * The machine's `self` is an `XstateRef`: the actor's kernel ref, which xstate also takes for an
 * actor. A machine error (a throw in a guard, an assign or an action, an `error` snapshot, an
 * error event from a child that no transition takes) is thrown to the caller, which makes it a
 * supervised crash of the actor.
 */
export class MachineRunner<TMachine extends AnyStateMachine> {
  snapshot: SnapshotFrom<TMachine> | undefined = undefined;
  /** The machine's `self` in its actions: its kernel ref. */
  readonly self: XstateRef<EventFromLogic<TMachine>>;
  readonly system: MachineSystem;
  private readonly scope: AnyActorScope;
  /** Actions of the transition being computed, in order. */
  private actions: ExecutableAction[] = [];
  private delayedSeq = 0;

  constructor(
    readonly machine: TMachine,
    private readonly host: MachineHost,
  ) {
    const cell = host.cell;
    this.system = host.system ?? new MachineSystem(cell.kernel.clock, host.logger ?? (() => {}));
    const parentCell = cell.parentCell;
    this.self = new XstateRef(cell.ref as ActorRef<EventFromLogic<TMachine>>, {
      ...(host.id !== undefined ? { id: host.id } : {}),
      snapshot: () => {
        assert(this.snapshot !== undefined, 'a machine has a snapshot once it started');
        return this.snapshot;
      },
      system: this.system,
      src: machine,
      ...(host.parent !== undefined ? { parent: host.parent } : parentCell !== null ? { parent: new XstateRef(parentCell.ref) } : {}),
    });
    const system = this.system;
    this.scope = {
      self: this.self,
      id: this.self.id,
      sessionId: this.self.sessionId,
      logger: system._logger,
      // xstate defers starting children and relaying events to after the transition; the runner
      // does both itself when it executes the actions, so nothing is deferred here.
      defer: () => {},
      emit: () => {},
      system,
      stopChild: () => {},
      actionExecutor: (action) => {
        // A stopped child frees its system id at once, as in xstate, so that a state re-entered
        // in the same step can invoke a child with the same system id again.
        if (action.type === 'xstate.stopChild' && action.params != null) system._unregister(action.params as AnyXstateActorRef);
        this.actions.push(action as ExecutableAction);
      },
    };
  }

  start(input: unknown): void {
    this.actions = [];
    const inspection = this.host.cell.kernel.xstateInspection;
    inspection?.next({ type: '@xstate.actor', actorRef: this.self as never, rootId: this.self.sessionId });
    const snapshot = this.machine.getInitialSnapshot(this.scope, input) as SnapshotFrom<TMachine>;
    this.commit(snapshot, this.takeActions(), 'xstate.init');
    inspection?.next({
      type: '@xstate.snapshot',
      actorRef: this.self as never,
      rootId: this.self.sessionId,
      snapshot: this.snapshot!,
      event: { type: 'xstate.init' } as never,
    });
  }

  /** Handles one event: one macrostep, with the events it raises on the way. */
  send(machineEvent: EventFromLogic<TMachine> | EventObject): void {
    assert(this.snapshot !== undefined, 'a machine runner handles events only after start');
    const event = machineEvent as EventObject;
    if (isForwardEvent(event)) {
      event.to.tell(event.event);
      return;
    }
    // A machine that is done takes no more events (its actor is stopping).
    if ((this.snapshot as { status: string }).status !== 'active') return;
    this.actions = [];
    const inspection = this.host.cell.kernel.xstateInspection;
    inspection?.next({ type: '@xstate.event', actorRef: this.self as never, rootId: this.self.sessionId, event, sourceRef: undefined });
    const snapshot = this.machine.transition(this.snapshot, event, this.scope) as SnapshotFrom<TMachine>;
    this.commit(snapshot, this.takeActions(), event.type);
    inspection?.next({ type: '@xstate.snapshot', actorRef: this.self as never, rootId: this.self.sessionId, snapshot: this.snapshot!, event });
  }

  /** The current state value, as text (for traces and status). */
  get stateText(): string {
    const value = (this.snapshot as { value?: unknown } | undefined)?.value;
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  private takeActions(): ExecutableAction[] {
    const actions = this.actions;
    this.actions = [];
    return actions;
  }

  private commit(snapshot: SnapshotFrom<TMachine>, actions: ExecutableAction[], eventType: string): void {
    const previous = this.snapshot === undefined ? '' : this.stateText;
    const { status, error, output, children } = snapshot as { status: string; error?: unknown; output?: unknown; children: Record<string, AnyXstateActorRef> };
    if (status === 'error') throw error ?? new MachineError(this.machine.id, 'entered an error state');
    this.snapshot = snapshot;
    const kernel = this.host.cell.kernel;
    if (kernel.tracing.active)
      kernel.trace({ kind: 'transition', pid: this.host.cell.pid, machine: this.machine.id, from: previous, to: this.stateText, event: eventType });
    for (const action of actions) this.execute(action, children);
    this.host.children?.reconcile(children);
    if (status === 'done') this.host.finished?.(output);
    else if (status === 'active') this.host.changed?.(snapshot);
  }

  /** Executes one action; `children` are the machine's children after the whole step. */
  private execute(action: ExecutableAction, children: Readonly<Record<string, AnyXstateActorRef | undefined>>): void {
    const cell = this.host.cell;
    switch (action.type) {
      case 'xstate.raise': {
        // A raise without delay was handled inside the step; a delayed one is a timer.
        const { event, delay, id } = action.params as { event: EventObject; delay?: number; id?: string };
        if (delay !== undefined) cell.startTimer(this.timerKey(id), delay, event);
        return;
      }
      case 'xstate.sendTo': {
        const { to, event, delay, id } = action.params as { to: unknown; event: EventObject; delay?: number; id?: string };
        this.sendTo(to, event, delay, id, children);
        return;
      }
      case 'xstate.cancel': {
        const { sendId } = action.params as { sendId: string };
        cell.cancelTimer(this.timerKey(sendId));
        return;
      }
      case 'xstate.emit':
        this.host.emitted((action.params as { event: EventObject }).event);
        return;
      case 'xstate.spawnChild': {
        const { actorRef } = action.params as { actorRef: AnyXstateActorRef | undefined };
        // A child stopped again within the same step never starts (as in xstate).
        if (actorRef !== undefined && isChildIn(actorRef, children)) this.childTable().spawn(actorRef);
        return;
      }
      case 'xstate.stopChild':
        if (action.params != null) this.host.children?.stop(action.params as AnyXstateActorRef);
        return;
      default: {
        const replyValue = replyValueOf(action.exec);
        if (replyValue === undefined) {
          action.exec?.(action.info as never, action.params as never);
          return;
        }
        const value = replyValue(action.info as never, action.params);
        if (this.host.replied !== undefined) this.host.replied(value);
        else cell.kernel.deadLetter(value, cell.pid, cell, 'no-asker');
      }
    }
  }

  private sendTo(
    to: unknown,
    event: EventObject,
    delay: number | undefined,
    id: string | undefined,
    children: Readonly<Record<string, AnyXstateActorRef | undefined>>,
  ): void {
    const cell = this.host.cell;
    // As in xstate, an `xstate.error` event sent on becomes the sender's error event.
    const outgoing =
      event.type === 'xstate.error' ? { type: `xstate.error.actor.${this.self.id}`, error: (event as { data?: unknown }).data, actorId: this.self.id } : event;
    // A child whose entry actions send to it runs before they do (xstate starts it first, too).
    if (boundKernelRef(to) === undefined && isChildIn(to, children)) this.childTable().spawn(to as AnyXstateActorRef);
    const target = boundKernelRef(to);
    if (target === undefined) {
      if (isChildIn(to, children) || (to as { system?: unknown } | null)?.system === this.system) {
        // A child of this machine that never ran (stopped in the step that spawned it).
        cell.kernel.deadLetter(outgoing, cell.pid, null, 'stopped');
        return;
      }
      throw new MachineError(this.machine.id, `sendTo needs an actor the kernel runs (a kernel ref, self, a child, the parent), not ${describeTarget(to)}`);
    }
    if (delay === undefined) target.tell(outgoing);
    else if (target.cell === cell) cell.startTimer(this.timerKey(id), delay, outgoing);
    else {
      const forward: ForwardEvent = { type: forwardEventType, to: target, event: outgoing };
      cell.startTimer(this.timerKey(id), delay, forward);
    }
  }

  private childTable(): MachineChildTable {
    if (this.host.children === undefined) throw new MachineError(this.machine.id, 'this machine cannot invoke or spawn children');
    return this.host.children;
  }

  private timerKey(id: string | undefined): string {
    return `xstate:${id ?? `anonymous-${++this.delayedSeq}`}`;
  }
}

function isChildIn(actor: unknown, children: Readonly<Record<string, AnyXstateActorRef | undefined>>): boolean {
  if (typeof actor !== 'object' || actor === null) return false;
  const id = (actor as { id?: unknown }).id;
  return typeof id === 'string' && children[id] === actor;
}

function describeTarget(target: unknown): string {
  if (target === undefined || target === null) return String(target);
  const id = (target as { id?: unknown }).id;
  return typeof id === 'string' ? `xstate actor '${id}'` : typeof target;
}

const forwardEventType = 'xstate.forward';

/** A delayed `sendTo` to another actor, routed through the sender's own timer so it is cancelled with it. */
export interface ForwardEvent {
  readonly type: typeof forwardEventType;
  readonly to: ActorRef<Message>;
  readonly event: EventObject;
}

export function isForwardEvent(event: EventObject): event is ForwardEvent {
  return event.type === forwardEventType;
}
