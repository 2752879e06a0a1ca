import type { AnyStateMachine, EventObject } from 'xstate';
import { UnansweredAskError } from '../../ground/errors.js';
import type { Message } from '../../ground/message.js';
import { finishActor } from './actor-finish.js';
import type { BehaviorFactory } from './behavior.js';
import type { Cell } from './cell.js';
import { MachineRunner } from './machine-runner.js';
import { MachineSystem } from './machine-system.js';
import type { ActorRef } from './ref.js';
import type { ActorStateValue, DescribesState } from './status.js';
import { fromSystem, type SystemActorInstance, type SystemContext } from './system-context.js';

/** How a machine actor runs: what `fromMachine` takes. */
export interface MachineActorSettings {
  readonly input?: unknown;
  /** Where `emit` actions' events go. */
  readonly emitTo?: ActorRef<never> | undefined;
  /** Where `log` actions write. */
  readonly logger?: (...args: unknown[]) => void;
}

/** The behaviour of a machine actor (see `fromMachine`). */
export function machineBehavior<TMachine extends AnyStateMachine>(machine: TMachine, settings: MachineActorSettings): BehaviorFactory<EventObject> {
  return fromSystem<EventObject>(() => new MachineActor(machine, settings), `machine:${machine.id}`);
}

/**
 * One incarnation of a machine actor: a `MachineRunner` for the machine, and the ask it is
 * handling. A restart starts the machine afresh.
 */
class MachineActor<TMachine extends AnyStateMachine> implements SystemActorInstance<EventObject>, DescribesState {
  private runner: MachineRunner<TMachine> | undefined = undefined;
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
    this.runner = new MachineRunner(this.machine, {
      cell,
      system: new MachineSystem(cell.kernel.clock, settings.logger ?? console.log),
      emitted: (event) => {
        settings.emitTo?.tell(event as never);
      },
      finished: (output) => finishActor(cell, output),
      replied: (value) => this.replied(cell, value),
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

  describeState(): ActorStateValue | undefined {
    return (this.runner?.snapshot as { value?: ActorStateValue } | undefined)?.value;
  }

  private replied(cell: Cell, value: unknown): void {
    if (this.asking === null) {
      cell.kernel.deadLetter(value, cell.pid, cell, 'no-asker');
      return;
    }
    cell.reply(this.asking as Message, value);
    this.answered = true;
  }
}
