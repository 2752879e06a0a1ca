/**
 * Storage (`osprey/zfs`), being built: the `zfs` subsystem and its device actors, whose block
 * devices' completions come back as interrupts; pools of objects copied on write, committed in
 * transaction groups and imported from the newest tree that verifies, on a single device, a mirror
 * or RAID-Z1/Z2; reads verified against their checksums, healed from another copy or rebuilt through
 * RAID-Z's parity; device states, and the on-device format (block pointers, dnodes, uberblocks,
 * labels). See docs/storage.md.
 */
export { storage } from './subsystem.js';
export { Storage, type StorageStatus } from './storage.js';
export {
  checksumErrorsMax,
  DeviceUnavailableError,
  ioErrorsMax,
  openPoolDevice,
  type PoolDevice,
  type PoolDeviceHost,
  type PoolDeviceMsg,
  type PoolDeviceStatus,
  waitingRequestsMax,
} from './device-actor.js';
export { type DeviceEvent, type DeviceMachine, type DeviceState, deviceEvents, deviceInUse, deviceMachine } from './device-machine.js';
export { blockChecksum, checksumKinds, checksumsEqual, fletcher4, sha256, type ChecksumKind } from './checksum.js';
export { ParityExhaustedError, raidzParity, raidzRebuild, type StripeParity } from './raidz-parity.js';
export { type RaidzColumn, type RaidzGeometry, type RaidzMap, raidzAllocatedBytes, raidzMap } from './raidz-map.js';
export { type TopVdev, topVdevOf, type VdevArea, type VdevChild } from './top-vdev.js';
export { MirrorVdev } from './mirror-vdev.js';
export { RaidzVdev } from './raidz-vdev.js';
export { type BlockPointer, type BlockType, type DataAddress, decodeBlockPointer, encodeBlockPointer, holePointer, isHole } from './block-pointer.js';
export { decodeUberblock, encodeUberblock, pickUberblock, type Uberblock } from './uberblock.js';
export { decodeLabelConfig, devicesSpareOf, encodeLabelConfig, isPoolName, type LabelConfig, labelOffsets, type PoolLayout } from './label.js';
export { type DeviceLabels, type FoundPool, findPools, guidSumOf, readLabels, writeLabels, writeUberblock } from './label-io.js';
export { FormatError } from './format-errors.js';
export {
  createPool,
  type CreatePoolOptions,
  importPool,
  type Pool,
  PoolError,
  type PoolObjects,
  type PoolStatus,
  recordBytesDefault,
  type ScrubProgress,
  type ScrubResult,
  type ScrubStatus,
} from './pool.js';
export { type Dnode, decodeDnode, dnodeBytes, encodeDnode, type ObjectType } from './dnode.js';
export { NoSuchObjectError, ObjectSet } from './object-set.js';
export { type BlockIo, indirectBytes, ObjectTree, pointersPerIndirect } from './object-tree.js';
export { copiesOf, PoolBlockIo, PoolFullError, rewindTxgs } from './block-io.js';
export { SpaceMap } from './space-map.js';
export { Dataset, type FileHandle, type FileStat, FsError, type FsErrno, rootObjectId } from './dataset.js';
export { type DatasetMsg, serveDataset, type ServedDataset } from './dataset-actor.js';
export { type PoolActorMsg, poolMailboxCapacity, poolOperationDeadlineMs, syncMailboxCapacity } from './pool-actor.js';
export { type DirectoryEntry, type EntryType, nameBytesMax } from './directory.js';
export { type BlockCopy, ChecksumError, readVerified, type VerifiedRead, writeCopies } from './verified-read.js';
