/**
 * Virtual memory (`osprey/vm`): one address space over physical memory every CPU shares, with huge
 * pages, guard pages, dirty tracking, zero-copy hand-off between CPUs and OSv's shrinker API.
 * See docs/vm.md.
 */
export { virtualMemory, type VmOptions } from './subsystem.js';
export { VirtualMemory, type MappedRange, type VmStats } from './virtual-memory.js';
export { MemoryAccess, type TlbCounters } from './memory-access.js';
export type { DirtyRange, MapOptions } from './mapper.js';
export type { Protection } from './regions.js';
export { SegmentationFault, OutOfMemoryError, VmArgumentError, VmLockAbandonedError, type AccessKind, type SegmentationCause } from './errors.js';
export { abandonVmLockOf, withVmLock } from './vm-lock.js';
export type { ShrinkRequest, ShrinkerStats } from './reclaimer.js';
export { pressureMachine, type PressureEvent, type PressureMachine, type PressureState } from './pressure-machine.js';
export * as vmLimits from './limits.js';
