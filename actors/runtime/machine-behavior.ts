import type { AnyStateMachine, EventFromLogic, EventObject, InputFrom } from 'xstate';
import type { BehaviorFactory } from './behavior.js';
import type { ActorRef } from './ref.js';
import { fromSystem } from './system-context.js';
import { isForwardEvent, MachineRunner } from './machine-runner.js';

/** Options of a machine actor. */
export interface MachineOptions<TMachine extends AnyStateMachine> {
  /** The machine's input (its context factory receives it). */
  readonly input?: InputFrom<TMachine>;
  /** Where `emit` actions' events go, as messages. */
  readonly emitTo?: ActorRef<never>;
}

/**
 * An actor whose behaviour is an xstate v5 machine. Its messages are the machine's events; the
 * kernel runs the machine as pure transitions and owns its timers (see `MachineRunner`). A throw
 * inside the machine crashes the actor, and its supervisor decides; a restart starts the machine
 * afresh from its initial state.
 *
 * @example
 * ```ts
 * const light = kernel.spawn(fromMachine(trafficLightMachine));
 * light.tell({ type: 'timer' });
 * ```
 */
export function fromMachine<TMachine extends AnyStateMachine>(
  machine: TMachine,
  options: MachineOptions<TMachine> = {},
): BehaviorFactory<EventFromLogic<TMachine>> {
  return fromSystem<EventFromLogic<TMachine>>((ctx) => {
    const runner = new MachineRunner(machine, {
      cell: ctx.cell,
      emitted: (event) => {
        options.emitTo?.tell(event as never);
      },
    });
    return {
      started: () => runner.start(options.input),
      receive: (event: EventObject) => {
        if (isForwardEvent(event)) event.to.tell(event.event);
        else runner.send(event);
      },
    };
  }, `machine:${machine.id}`);
}
