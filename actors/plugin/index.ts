/**
 * The plug-in toolkit (`osprey/plugin`): what a subsystem written outside this repository needs.
 * Its value (`defineSubsystem`, `configure`), its frames between CPUs (`defineFrameType`), and its
 * kernel actors, which get a `SystemContext` (`fromSystem`). These reach the kernel core, whose
 * members are kernel code's, not an application's: the public `Kernel` hides them.
 *
 * @example
 * ```ts
 * import { defineSubsystem, fromSystem } from 'osprey/plugin';
 * export const heartbeat = defineSubsystem({
 *   name: 'heartbeat',
 *   module: import.meta.url,
 *   start: (host) => ({ handle: () => host.kernel.clock.now(), children: [{ id: 'beat', start: fromSystem(beat) }] }),
 * });
 * ```
 */
export {
  configure,
  defineSubsystem,
  isSubsystemName,
  type AnySubsystem,
  type KernelHandle,
  type MachineShape,
  type Subsystem,
  type SubsystemDefinition,
  type SubsystemHost,
  type SubsystemParts,
  type SupervisionLimits,
} from './subsystem.js';
export {
  checkFaultLimits,
  defineFaultKind,
  type AnyFaultKind,
  type FaultEnd,
  type FaultField,
  type FaultKind,
  type FaultLimits,
  type FaultValues,
} from './fault-kind.js';
export { defineFrameType, type FrameRouting, type FrameType } from '../cpu/frame-registry.js';
export { fromSystem, type SystemActorInstance, type SystemContext } from '../runtime/system-context.js';
export type { KernelCore } from '../runtime/kernel-core.js';
export type { Cell } from '../runtime/cell.js';
export type { CpuStateView } from '../sched/cpu-state.js';
