/**
 * Osprey's actor runtime: boot a kernel, spawn actors, tell and ask, supervise, observe.
 *
 * @example
 * ```ts
 * import { Kernel, Actor, type Ask, type ActorContext } from 'osprey';
 * ```
 */
export { Kernel, type BootOptions, type ChildFailure } from './kernel.js';
export { Actor, fromReceive, fromSetup, type ActorInstance, type Behavior, type BehaviorFactory } from './behavior.js';
export { fromMachine, type MachineOptions } from './machine-behavior.js';
export type { ActorContext, ReplyHandle } from './context.js';
export { ActorRef, type AnyActorRef, type AskOptions } from './ref.js';
export type { Ask, AskTypes, Message, ReplyOf } from '../../ground/message.js';
export type { SpawnOptions } from './spawn-options.js';
export type { OverflowPolicy } from './mailbox.js';
export type { ChildFailedSignal, DownSignal, ExitReason, ExitSignal, Signal } from './signals.js';
export type { DeadLetter, DeadLetterReason, KernelEvent, KernelEventKind } from './events.js';
export { formatStatus, type ActorStatus, type KernelStatus } from './status.js';
export { formatPid, type Pid } from '../../ground/pid.js';
export * from '../../ground/errors.js';
export { supervisor, type ChildSpec, type SupervisorOptions, type SupervisorMsg, type Strategy, type BackoffOptions } from '../../supervisors/index.js';
