/**
 * Drivers: the kernel's only doors to time, randomness, signals, disks and networks. Each comes as an interface plus a real
 * and a simulated (or seeded) implementation, so a whole kernel can run on virtual time and replay
 * from a seed.
 */
export type { Clock, TimerHandle, WaitOutcome } from './clock/clock.js';
export { createRealClock, timerDelayMsMax, type RealClockOptions } from './clock/real.js';
export {
  createSimulatedClock,
  type RunUntilIdleOptions,
  type SimulatedClock,
  type SimulatedClockOptions,
} from './clock/simulated.js';
export { SkewedClock, skewRateMax, skewRateMin } from './clock/skewed.js';
export type { Random } from './random/random.js';
export { createRealRandom } from './random/real.js';
export { createSeededRandom } from './random/seeded.js';
export { assertSignalName, createRealSignals, createSimulatedSignals, type SignalName, type SignalSource, type SimulatedSignals } from './signals/index.js';
export {
  BlockDeviceError,
  BlockIoError,
  BlockQueueFullError,
  BlockRangeError,
  createFileDevice,
  createMemoryDevice,
  FaultAtlas,
  type BlockDevice,
  type BlockDeviceOptions,
  type BlockIoReason,
  type CrashOutcome,
  type FileDeviceOptions,
  type MemoryDevice,
  type MemoryDeviceFaults,
  type MemoryDeviceOptions,
} from './block/index.js';
export {
  createRealNic,
  createSimulatedNetwork,
  type Endpoint,
  type FlowId,
  type Listening,
  type ListenerId,
  type ListenOptions,
  type NicDriver,
  NicError,
  type NicEvent,
  type NicFault,
  type NicStats,
  type RealNicOptions,
  type SimulatedNetwork,
  type SimulatedNic,
  type WireFaults,
} from './nic/index.js';
