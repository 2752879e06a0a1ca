/** Block devices: the storage pool's disks (see block-device.ts). */
export {
  type BlockDevice,
  type BlockDeviceOptions,
  type WriteOptions,
  checkTransfer,
  deviceBytesMax,
  deviceBytesMin,
  queueDepthDefault,
  queueDepthMax,
  type SectorBytes,
  sectorBytesAllowed,
  sectorBytesDefault,
  transferBytesMax,
} from './block-device.js';
export { BlockDeviceError, BlockIoError, type BlockIoReason, BlockQueueFullError, BlockRangeError } from './block-errors.js';
export { FaultAtlas, type FaultAtlasOptions, zoneBytesDefault } from './fault-atlas.js';
export { createFileDevice, type FileDeviceOptions } from './file-device.js';
export { WriteBehind, writeBehindBytesDefault, writeBehindThreshold } from './write-behind.js';
export {
  type CrashOutcome,
  createMemoryDevice,
  type MemoryDevice,
  type MemoryDeviceFaults,
  type MemoryDeviceOptions,
  type MemoryDeviceStats,
} from './memory-device.js';
