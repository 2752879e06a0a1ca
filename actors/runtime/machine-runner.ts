import { type AnyStateMachine, type EventFromLogic, type EventObject, initialTransition, type SnapshotFrom, transition } from 'xstate';
import { assert } from '../../ground/assert.js';
import { MachineError } from '../../ground/errors.js';
import type { Cell } from './cell.js';

/** Internal events one transition may raise (xstate's `raise` without delay), per message. */
const raisedEventsMax = 1_000;

/** Where a machine's output goes. */
export interface MachineHost {
  readonly cell: Cell;
  /** An `emit` action's event. */
  emitted(event: EventObject): void;
}

interface ExecutableAction {
  readonly type: string;
  readonly params: unknown;
  readonly info: unknown;
  readonly exec: ((info: never, params: never) => void) | undefined;
}

/**
 * Runs an xstate v5 machine as pure transitions (`initialTransition` / `transition`) and executes
 * the resulting actions itself: `sendTo` becomes a `tell` to a kernel ref, delayed events become
 * timers on the actor (so they are cancelled with its incarnation and replayed on virtual time),
 * `emit` goes to the host. A machine error (a throw in a guard, an assign or an action, or an
 * `error` snapshot) is thrown to the caller, which makes it a supervised crash of the actor.
 *
 * Machines run here cannot invoke or spawn xstate children: the kernel owns every actor, so a
 * machine spawns kernel actors from an action instead.
 */
export class MachineRunner<TMachine extends AnyStateMachine> {
  snapshot: SnapshotFrom<TMachine> | undefined = undefined;
  private delayedSeq = 0;

  constructor(
    readonly machine: TMachine,
    private readonly host: MachineHost,
  ) {}

  start(input: unknown): void {
    const [snapshot, actions] = (initialTransition as (m: AnyStateMachine, i: unknown) => [SnapshotFrom<TMachine>, ExecutableAction[]])(this.machine, input);
    this.commit(snapshot, actions, 'xstate.init');
  }

  /** Handles one external event (and every event it raises). */
  send(event: EventFromLogic<TMachine> | EventObject): void {
    assert(this.snapshot !== undefined, 'a machine runner handles events only after start');
    let pending: EventObject[] | null = null;
    let next: EventObject | undefined = event as EventObject;
    for (let raised = 0; next !== undefined; raised++) {
      assert(raised <= raisedEventsMax, `machine ${this.machine.id} raised more than ${raisedEventsMax} events for one message`);
      const [snapshot, actions] = transition(this.machine, this.snapshot as never, next as never) as unknown as [SnapshotFrom<TMachine>, ExecutableAction[]];
      const raisedNow = this.commit(snapshot, actions, next.type);
      if (raisedNow !== null) (pending ??= []).push(...raisedNow);
      next = pending?.shift();
    }
  }

  /** The current state value, as text (for traces and status). */
  get stateText(): string {
    const value = (this.snapshot as { value?: unknown } | undefined)?.value;
    return typeof value === 'string' ? value : JSON.stringify(value);
  }

  private commit(snapshot: SnapshotFrom<TMachine>, actions: ExecutableAction[], eventType: string): EventObject[] | null {
    const previous = this.snapshot === undefined ? '' : this.stateText;
    const status = (snapshot as { status?: string }).status;
    if (status === 'error') throw (snapshot as { error?: unknown }).error ?? new MachineError(this.machine.id, 'entered an error state');
    this.snapshot = snapshot;
    const kernel = this.host.cell.kernel;
    if (kernel.tracing.active) kernel.trace({ kind: 'transition', pid: this.host.cell.pid, from: previous, to: this.stateText, event: eventType });
    let raised: EventObject[] | null = null;
    for (const action of actions) {
      const immediate = this.execute(action);
      if (immediate !== undefined) (raised ??= []).push(immediate);
    }
    return raised;
  }

  /** Executes one action; returns an event raised without delay, to be handled next. */
  private execute(action: ExecutableAction): EventObject | undefined {
    const cell = this.host.cell;
    switch (action.type) {
      case 'xstate.raise': {
        const { event, delay, id } = action.params as { event: EventObject; delay?: number; id?: string };
        if (delay === undefined) return event;
        cell.startTimer(this.timerKey(id), delay, event);
        return undefined;
      }
      case 'xstate.sendTo': {
        const { to, event, delay, id } = action.params as { to: unknown; event: EventObject; delay?: number; id?: string };
        const target = to as { tell?: (message: unknown) => boolean } | undefined;
        if (target === undefined || typeof target.tell !== 'function') throw new MachineError(this.machine.id, 'sendTo needs a kernel ActorRef target');
        if (delay === undefined) target.tell(event);
        else cell.startTimer(this.timerKey(id), delay, { type: 'xstate.forward', to: target, event } as never);
        return undefined;
      }
      case 'xstate.cancel': {
        const { sendId } = action.params as { sendId: string };
        cell.cancelTimer(this.timerKey(sendId));
        return undefined;
      }
      case 'xstate.emit':
        this.host.emitted((action.params as { event: EventObject }).event);
        return undefined;
      case 'xstate.spawnChild':
      case 'xstate.stopChild':
        throw new MachineError(this.machine.id, 'invoking or spawning xstate children is not supported under the kernel; spawn kernel actors instead');
      default:
        action.exec?.(action.info as never, action.params as never);
        return undefined;
    }
  }

  private timerKey(id: string | undefined): string {
    return `xstate:${id ?? `anonymous-${++this.delayedSeq}`}`;
  }
}

/** A delayed `sendTo`, routed through the sender's own timer so it is cancelled with it. */
export interface ForwardEvent {
  readonly type: 'xstate.forward';
  readonly to: { tell(message: unknown): boolean };
  readonly event: EventObject;
}

export function isForwardEvent(event: EventObject): event is ForwardEvent {
  return event.type === 'xstate.forward';
}
