/**
 * The kernel's own xstate machines, for diagrams and checks: the supervisor lifecycle, the
 * scheduler's CPU states, an interrupt line, the VM's memory pressure and a storage device's states. Each is defined on first
 * call, which loads xstate.
 *
 * @example
 * ```ts
 * for (const machine of kernelMachines()) writeFileSync(`${machine.id}.mmd`, toMermaid(machineGraph(machine)));
 * ```
 */
import type { AnyStateMachine } from 'xstate';
import { lineMachine } from '../actors/irq/machine.js';
import { schedCpuMachine } from '../actors/sched/machine.js';
import { pressureMachine } from '../actors/vm/pressure-machine.js';
import { deviceMachine } from '../actors/zfs/device-machine.js';
import { txgMachine } from '../actors/zfs/txg-machine.js';
import { supervisorMachine } from '../supervisors/machine.js';

export function kernelMachines(): AnyStateMachine[] {
  return [supervisorMachine(), schedCpuMachine(), lineMachine(), pressureMachine(), deviceMachine(), txgMachine()] as unknown as AnyStateMachine[];
}

/** Whether `value` is an xstate state machine (a module's export, say). */
export function isStateMachine(value: unknown): value is AnyStateMachine {
  const machine = value as { root?: unknown; getInitialSnapshot?: unknown; transition?: unknown } | null;
  return (
    typeof machine === 'object' &&
    machine !== null &&
    typeof machine.getInitialSnapshot === 'function' &&
    typeof machine.transition === 'function' &&
    typeof machine.root === 'object'
  );
}
