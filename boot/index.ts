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
export { Actor, fromReceive, fromSetup, type ActorInstance, type Behavior, type BehaviorFactory } from '../actors/runtime/behavior.js';
export { fromMachine, type MachineOptions } from '../actors/runtime/machine-behavior.js';
export type { ActorContext, ReplyHandle } from '../actors/runtime/context.js';
export { ActorRef, type AnyActorRef, type AskOptions } from '../actors/runtime/ref.js';
export type { Ask, AskTypes, Message, ReplyOf } from '../ground/message.js';
export type { SpawnOptions } from '../actors/runtime/spawn-options.js';
export type { OverflowPolicy } from '../actors/runtime/mailbox.js';
export type { ChildFailedSignal, DownSignal, ExitReason, ExitSignal, Signal } from '../actors/runtime/signals.js';
export {
  eventCpu,
  type DeadLetter,
  type DeadLetterReason,
  type DroppedReports,
  type KernelEvent,
  type KernelEventKind,
  type ReportStream,
} from '../actors/runtime/events.js';
export { formatStatus, type ActorStatus, type KernelStatus } from '../actors/runtime/status.js';
export { formatPid, type Pid } from '../ground/pid.js';
export * from '../ground/errors.js';
export { supervisor, type ChildSpec, type SupervisorOptions, type SupervisorMsg, type Strategy, type BackoffOptions } from '../supervisors/index.js';
