/**
 * The fair scheduler (OSv's `core/sched.cc`), as a pure core: decayed runtime with a normalisation
 * factor, a per-CPU run queue with a real-time class, `time_until` slices with hysteresis, the
 * load balancer's decision, and the CPU lifecycle machine. The dispatcher drives it with its clock
 * (see scheduler.ts for the loop).
 */
export { CpuScheduler, createCpuScheduler, type CpuSchedulerOptions, type SchedStats, type SchedTurn } from './scheduler.js';
export { createSchedEntity, EntityState, SchedClass, SchedEntity, type SchedEntityOptions } from './entity.js';
export { RunQueue, type RunQueueEntry } from './run-queue.js';
export {
  addContextSwitchPenalty,
  charge,
  createNormClock,
  decayedRuntime,
  expTau,
  exportRuntime,
  hysteresisRunStart,
  hysteresisRunStop,
  renormalizeClock,
  renormalizeRunnable,
  runtimeExported,
  updateAfterSleep,
  type NormClock,
  type Runtime,
} from './decayed-runtime.js';
export { sliceMs, timeUntil, turnOver, type TurnGrant } from './time-slice.js';
export { balanceTarget, decideMigration, leastDeserving, type BalanceCandidate, type Migration } from './balancer.js';
export { schedCpuEvents, schedCpuMachine, type SchedCpuEvent, type SchedCpuMachine } from './machine.js';
export * as schedLimits from './limits.js';
