/** Supervision: OTP's strategies, restart types, intensity, backoff and shutdown, as actors. */
export { supervisor, type AutoShutdown, type ChildCounts, type ChildInfo, type SupervisorMsg, type SupervisorOptions } from './supervisor.js';
export { childSpec, type AnyChildSpec, type ChildSpec, type ChildType, type NormalizedChildSpec, type RestartType } from './child-spec.js';
export type { Strategy } from './strategy.js';
export type { BackoffOptions } from './backoff.js';
export { backoffDelayMs } from './backoff.js';
export { supervisorMachine, type SupervisorMachineEvent } from './machine.js';
