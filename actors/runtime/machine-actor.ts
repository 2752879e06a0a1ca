import type { Actor as XstateActor, AnyActorLogic, AnyActorRef as AnyXstateActorRef, AnyStateMachine, EventObject, Snapshot } from 'xstate';
import { UnansweredAskError } from '../../ground/errors.js';
import type { Message } from '../../ground/message.js';
import { finishActor } from './actor-finish.js';
import type { Behavior, BehaviorFactory } from './behavior.js';
import type { Cell } from './cell.js';
import { xstate } from './lazy-packages.js';
import { fromXstateLogic } from './logic-actor.js';
import { MachineChildren, type ShowsXstateSnapshot } from './machine-children.js';
import { MachineRunner } from './machine-runner.js';
import { MachineSystem } from './machine-system.js';
import type { ActorRef } from './ref.js';
import type { Signal } from './signals.js';
import type { ActorStateValue, DescribesState } from './status.js';
import { fromSystem, type SystemActorInstance, type SystemContext } from './system-context.js';

/** How a machine actor runs: what `fromMachine` takes, and what a machine's xstate child gets from its parent. */
export interface MachineActorSettings {
  readonly input?: unknown;
  /** Where `emit` actions' events go. */
  readonly emitTo?: ActorRef<never> | undefined;
  /** Where `log` actions write. */
  readonly logger?: (...args: unknown[]) => void;
  /** A child's invoke or spawn id. */
  readonly id?: string;
  /** A child's parent machine (its `self`). */
  readonly parent?: AnyXstateActorRef;
  /** The system a child shares with its parent machine. */
  readonly system?: MachineSystem;
  /** Tell the parent each snapshot (xstate's `onSnapshot`). */
  readonly syncSnapshot?: boolean;
}

/** The behaviour of a machine actor (see `fromMachine`); start arguments, if given, are the machine's input. */
export function machineBehavior<TMachine extends AnyStateMachine>(machine: TMachine, settings: MachineActorSettings): BehaviorFactory<EventObject, unknown> {
  return fromSystem<EventObject, unknown>(
    (_ctx, args) => new MachineActor(machine, args === undefined ? settings : { ...settings, input: args }),
    `machine:${machine.id}`,
  );
}

/**
 * One incarnation of a machine actor: a `MachineRunner` for the machine, the kernel actors of its
 * xstate children, and the ask it is handling. A restart starts the machine afresh.
 */
class MachineActor<TMachine extends AnyStateMachine> implements SystemActorInstance<EventObject>, DescribesState, ShowsXstateSnapshot {
  private runner: MachineRunner<TMachine> | undefined = undefined;
  private children: MachineChildren | undefined = undefined;
  /** The ask being handled, which a `reply` action answers. */
  private asking: EventObject | null = null;
  private answered = false;

  constructor(
    private readonly machine: TMachine,
    private readonly settings: MachineActorSettings,
  ) {}

  started(ctx: SystemContext<EventObject>): void {
    const cell = ctx.cell;
    const settings = this.settings;
    const system = settings.system ?? new MachineSystem(cell.kernel.clock, settings.logger ?? console.log);
    const children = new MachineChildren(cell, (child) => this.childBehavior(child, system));
    this.children = children;
    this.runner = new MachineRunner(this.machine, {
      cell,
      children,
      system,
      ...(settings.id !== undefined ? { id: settings.id } : {}),
      ...(settings.parent !== undefined ? { parent: settings.parent } : {}),
      emitted: (event) => {
        settings.emitTo?.tell(event as never);
      },
      finished: (output) => finishActor(cell, output),
      replied: (value) => this.replied(cell, value),
      changed: (snapshot) => {
        if (settings.syncSnapshot === true) settings.parent?.send({ type: `xstate.snapshot.${settings.id}`, snapshot });
      },
    });
    this.runner.start(settings.input);
  }

  receive(event: EventObject, ctx: SystemContext<EventObject>): void {
    const asking = ctx.kernel.currentOrigin < 0 ? event : null;
    this.asking = asking;
    this.answered = false;
    try {
      this.runner!.send(event);
    } finally {
      this.asking = null;
    }
    if (asking !== null && !this.answered) {
      ctx.replyLater(asking as Message).reject(new UnansweredAskError(ctx.cell.describe(), asking.type, this.runner!.stateText));
    }
  }

  signal(signal: Signal, ctx: SystemContext<EventObject>): void {
    if (signal.type !== 'down') return;
    const event = this.children?.eventFor(signal);
    if (event === undefined) return;
    // Behind what the child sent before it ended, which is queued here already (a signal would
    // overtake it); handled now only if the mailbox has no room for it.
    const cell = ctx.cell;
    const mailbox = cell.mailbox;
    if (mailbox === null || mailbox.count < mailbox.capacity) cell.deliver(event, cell.pid);
    else this.runner!.send(event);
  }

  xstateSnapshot(): Snapshot<unknown> | undefined {
    return this.runner?.snapshot;
  }

  describeState(): ActorStateValue | undefined {
    return (this.runner?.snapshot as { value?: ActorStateValue } | undefined)?.value;
  }

  /** The machine it runs (for diagrams of a live actor, see `Kernel.machineOf`). */
  describeMachine(): AnyStateMachine {
    return this.machine;
  }

  private replied(cell: Cell, value: unknown): void {
    if (this.asking === null) {
      cell.kernel.deadLetter(value, cell.pid, cell, 'no-asker');
      return;
    }
    cell.reply(this.asking as Message, value);
    this.answered = true;
  }

  /** The kernel behaviour for an xstate child of this machine: a machine actor, or the logic's actor. */
  private childBehavior(child: XstateActor<AnyActorLogic>, system: MachineSystem): Behavior<Message> {
    const options = child.options as { readonly input?: unknown; readonly syncSnapshot?: boolean };
    const parent = this.runner!.self;
    const syncSnapshot = options.syncSnapshot === true;
    if (child.logic instanceof xstate().StateMachine) {
      return machineBehavior(child.logic, { input: options.input, id: child.id, parent, system, syncSnapshot }) as Behavior<Message>;
    }
    return fromXstateLogic(child.logic, { input: options.input, id: child.id, parent, system, syncSnapshot }) as Behavior<Message>;
  }
}
