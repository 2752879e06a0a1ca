import type { AnyStateMachine, EventFromLogic, InputFrom } from 'xstate';
import type { BehaviorFactory } from './behavior.js';
import { machineBehavior } from './machine-actor.js';
import type { ActorRef } from './ref.js';

/** Options of a machine actor. */
export interface MachineOptions<TMachine extends AnyStateMachine> {
  /** The machine's input (its context factory receives it); start arguments (`spawn(…, { args })`) take its place. */
  readonly input?: InputFrom<TMachine>;
  /** Where `emit` actions' events go, as messages. */
  readonly emitTo?: ActorRef<never>;
  /** Where `log` actions write (default `console.log`, as in xstate). */
  readonly logger?: (...args: unknown[]) => void;
}

/**
 * An actor whose behaviour is an xstate v5 machine, which runs unchanged: its messages are the
 * machine's events, and the kernel runs the machine as pure transitions and carries out its
 * actions (see `MachineRunner`, and docs/machines.md for what maps to what):
 * - delayed events and `after` are the actor's timers, on the kernel's clock (virtual when simulated);
 * - `sendTo` and `sendParent` tell kernel actors; `self` is the actor's kernel ref;
 * - `invoke` and `spawnChild` of machines, promises, callbacks and observables run each child as a
 *   kernel actor under this one, and their done and error events come back as xstate's;
 * - `reply(...)` answers an ask, so the machine can be asked;
 * - a top-level final state stops the actor with reason `normal`, its output the exit value its
 *   monitors see (`down.output`);
 * - `kernel.status()` shows its state value.
 *
 * A throw inside the machine crashes the actor, and its supervisor decides; a restart starts the
 * machine afresh from its initial state, with fresh children.
 *
 * The machine's input may also come as start arguments, kept for every restart and carried to
 * another CPU: `kernel.spawn(fromMachine(counterMachine), { args: { start: 10 } })`.
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
): BehaviorFactory<EventFromLogic<TMachine>, InputFrom<TMachine> | undefined> {
  return machineBehavior(machine, {
    input: options.input,
    emitTo: options.emitTo,
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  }) as BehaviorFactory<EventFromLogic<TMachine>, InputFrom<TMachine> | undefined>;
}
