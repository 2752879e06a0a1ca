/**
 * Osprey's public API (the package's main entry): boot a kernel, spawn actors, tell and ask,
 * supervise, observe, and reach its subsystems.
 *
 * @example
 * ```ts
 * import { Kernel, Actor, type Ask, type ActorContext } from 'osprey';
 * ```
 */
export { Kernel } from './kernel.js';
export type { BootOptions } from './boot-options.js';
export type { RunBounds } from './simulated-driving.js';
export type { CpuRunState } from '../actors/cpu/hosts/cpu-host.js';
export type { CpuCrashOptions, SimulatedCpuFaults } from '../actors/cpu/hosts/cpu-faults.js';
export { defaultSubsystems } from './subsystems.js';
export { kernelNames } from './kernel-tree.js';
export type { ChildFailure } from '../actors/runtime/kernel-core.js';
export {
  configure,
  defineSubsystem,
  type AnySubsystem,
  type KernelHandle,
  type Subsystem,
  type SubsystemDefinition,
  type SubsystemHost,
  type SubsystemParts,
} from '../actors/plugin/subsystem.js';
export { scheduling } from '../actors/scheduler/subsystem.js';
export { interrupts } from '../actors/irq/subsystem.js';
export {
  Actor,
  fromReceive,
  fromSetup,
  withArgs,
  type ActorInstance,
  type AnyBehavior,
  type Behavior,
  type BehaviorFactory,
} from '../actors/runtime/behavior.js';
export { fromMachine, type MachineOptions } from '../actors/runtime/machine-behavior.js';
export { reply, type ReplyAction } from '../actors/runtime/machine-reply.js';
export { kernelRef, xstateRef, XstateRef } from '../actors/runtime/xstate-ref.js';
export type { ActorContext, ReplyHandle } from '../actors/runtime/context.js';
export { ActorRef, type AnyActorRef, type AskOptions } from '../actors/runtime/ref.js';
export type { Ask, AskTypes, Message, ReplyOf } from '../ground/message.js';
export type { Shutdown, SpawnOptions, SpawnOptionsFor } from '../actors/runtime/spawn-options.js';
export type { OverflowPolicy } from '../actors/runtime/mailbox.js';
export {
  isCleanExit,
  type ChildFailedSignal,
  type CustomExitReason,
  type DownSignal,
  type ExitReason,
  type ExitSignal,
  type ShutdownWith,
  type Signal,
  type StandardExitReason,
} from '../actors/runtime/signals.js';
export { MonitorRef } from '../actors/runtime/monitor.js';
export {
  eventCpu,
  type DeadLetter,
  type DeadLetterReason,
  type DroppedReports,
  type KernelEvent,
  type KernelEventKind,
  type ReportStream,
} from '../actors/runtime/events.js';
export { formatStateValue, formatStatus, type ActorStateValue, type ActorStatus, type KernelStatus } from '../actors/runtime/status.js';
export { formatPid, type Pid } from '../ground/pid.js';
export * from '../ground/errors.js';
export {
  supervisor,
  childSpec,
  type AnyChildSpec,
  type ChildCounts,
  type ChildInfo,
  type ChildSpec,
  type ChildType,
  type SupervisorOptions,
  type SupervisorMsg,
  type Strategy,
  type BackoffOptions,
} from '../supervisors/index.js';
