/**
 * Pools, as `zpool create`, `zpool import` and `zpool export` handle them, on the labels of their
 * devices (label-io.ts), holding an object set copied on write (object-set.ts).
 *
 * - Create writes every device's labels, then an empty object set and the first uberblock
 *   (transaction group 1).
 * - A commit writes what changed as transaction group txg + 1: the new blocks, a flush of every
 *   device, the uberblock, a flush. A crash at any instant leaves the old group or the new one.
 * - Import finds the pool by name among the devices given, opens them as device actors (a mirror
 *   with all sides but one missing, RAID-Z with as many missing as its parity), and takes the newest uberblock whose tree verifies: it walks the
 *   tree, verifying every block, and claims the space of each; a tree that does not verify sends it
 *   to the next older uberblock (ZFS's rewind), whose tree frees have left whole (block-io.ts).
 * - Export commits what changed and closes the devices.
 *
 * Operations on the pool run one at a time, in the order they were called.
 *
 * @example
 * ```ts
 * const tank = await createPool(kernel.subsystem(storage), { name: 'tank', layout: 'mirror', devices: [disk0, disk1] });
 * const file = await tank.objects.create('file');
 * await tank.objects.write(file, 0, bytes);
 * await tank.commit();                      // tank.txg === 2
 * await tank.export();
 * const again = await importPool(kernel.subsystem(storage), [disk0, disk1], 'tank');
 * await again.objects.read(file, 0, bytes.length); // the same bytes
 * ```
 */
import type { BlockDevice } from '../../drivers/block/block-device.js';
import type { Random } from '../../drivers/random/random.js';
import { OspreyError } from '../../ground/errors.js';
import { type BlockPointer, copiesMax, isHole } from './block-pointer.js';
import { PoolBlockIo, PoolFullError, rewindTxgs } from './block-io.js';
import type { PoolDevice, PoolDeviceMsg, PoolDeviceStatus } from './device-actor.js';
import type { ActorRef } from '../runtime/ref.js';
import type { Dnode } from './dnode.js';
import { FormatError } from './format-errors.js';
import { devicesMin, devicesSpareOf, isPoolName, type LabelConfig, labelBytes, labelOffsets, type PoolLayout, poolLayouts } from './label.js';
import { clearLabels, findPools, guidSumOf, type LabelWriter, readLabels, writeLabelPair, writeLabels, writeUberblock } from './label-io.js';
import { dnodeBlockBytes, ObjectSet, objsetBlockBytes } from './object-set.js';
import { indirectBytes, pointersPerIndirect } from './object-tree.js';
import { type TxgEvent, type TxgMachine, type TxgState, txgMachine } from './txg-machine.js';
import { xstate } from '../runtime/lazy-packages.js';
import type { TimerHandle } from '../../drivers/clock/clock.js';
import { SpaceMap } from './space-map.js';
import { type TopVdev, topVdevOf } from './top-vdev.js';
import type { Storage } from './storage.js';
import { type PoolActorMsg, poolOperationDeadlineMs } from './pool-actor.js';
import { uberblockVersion } from './uberblock.js';
import { ChecksumError } from './verified-read.js';
import type { ScrubResult } from './scan-record.js';

export type { ScrubResult } from './scan-record.js';
import { type ChecksumKind, checksumKinds } from './checksum.js';

/** Why a pool could not be created or imported. */
export class PoolError extends OspreyError {
  readonly code = 'pool';
  constructor(
    readonly pool: string,
    readonly reason:
      | 'bad-name'
      | 'bad-layout'
      | 'bad-option'
      | 'bad-device'
      | 'no-such-device'
      | 'in-use'
      | 'not-found'
      | 'missing-devices'
      | 'no-uberblock'
      | 'suspended'
      | 'unrecoverable'
      | 'closed',
    detail: string,
  ) {
    super(`pool ${pool}: ${detail}`);
  }
}

/** What `zpool status` shows of a pool. */
export interface PoolStatus {
  readonly name: string;
  readonly guid: string;
  readonly layout: PoolLayout;
  /** The checksum its new blocks carry. */
  readonly checksum: ChecksumKind;
  /** `online` with every device in use, `degraded` with some missing or not in use but enough left. */
  readonly state: 'online' | 'degraded';
  readonly txg: number;
  /** Bytes of its data area in use and free. */
  readonly usedBytes: number;
  readonly freeBytes: number;
  /** Copies that reads and scrubs found bad and rewrote since it was opened. */
  readonly repaired: number;
  /** The last scrub or resilver since it was opened, or the one under way; null if none. */
  readonly scan: ScrubStatus | null;
  /** Where its transaction groups are (txg-machine.ts). */
  readonly txgState: TxgState;
  /** Each device of its configuration, in order; `missing` where none was found. */
  readonly devices: readonly (PoolDeviceStatus | { readonly name: string; readonly state: 'missing' })[];
}

/** What `atomically` hands its work: the objects, and a commit, straight in its turn. */
export interface PoolTurn {
  readonly objects: PoolObjects;
  commit(): Promise<number>;
}

/** A scan's progress (a scrub's, or a resilver's), as it goes. */
export interface ScrubProgress {
  /** Bytes of blocks examined (each copy's space once), of about `totalBytes`. */
  readonly examinedBytes: number;
  /** The pool's allocated bytes when the scrub began (blocks freed lately included). */
  readonly totalBytes: number;
}

export type ScrubStatus =
  | ({ readonly state: 'scrubbing'; readonly kind: 'scrub' | 'resilver' } & ScrubProgress)
  | ({ readonly state: 'finished' } & ScrubResult);

/**
 * The objects of a pool (its object set), numbered from 1. Changes are in memory until the pool
 * commits them. Each call fails with `NoSuchObjectError` for a number that names no object.
 */
export interface PoolObjects {
  /** A new object of `type` with data blocks of `blockBytes` (default 128 KiB, ZFS's recordsize); returns its number. */
  create(type: 'file' | 'directory', blockBytes?: number): Promise<number>;
  /**
   * Up to `lengthBytes` from `offsetBytes`, cut at its size; what was never written reads as zeros.
   * `into`: a buffer of at least `lengthBytes` to read into (reused by the caller, as `fs.read`'s),
   * whose start is returned; else a new array.
   */
  read(id: number, offsetBytes: number, lengthBytes: number, into?: Uint8Array): Promise<Uint8Array>;
  /**
   * `useReserve`: the write may use the room a pool keeps back, as a file system's directory updates
   * that give room back do (an unlink), so that a full pool can still be emptied.
   */
  write(id: number, offsetBytes: number, data: Uint8Array, options?: { readonly useReserve?: boolean }): Promise<void>;
  truncate(id: number, sizeBytes: number): Promise<void>;
  remove(id: number): Promise<void>;
  stat(id: number): Promise<Dnode>;
  /** The numbers of every object. */
  ids(): Promise<number[]>;
}

export interface Pool {
  readonly name: string;
  readonly guid: string;
  readonly layout: PoolLayout;
  /** The transaction group its newest uberblock roots: the last commit. */
  readonly txg: number;
  readonly objects: PoolObjects;
  /** Its open devices, in its configuration's order (undefined where one is missing). */
  readonly devices: readonly (PoolDevice | undefined)[];
  /** The block devices under them, in the same order (a device file's path is its `name`). */
  readonly blockDevices: readonly (BlockDevice | undefined)[];
  status(): PoolStatus;
  /**
   * Writes what changed since the last commit as the next transaction group and returns its number
   * (the same number when nothing changed). Once it resolves, a crash keeps the changes.
   */
  commit(): Promise<number>;
  /**
   * Runs `work` in one turn: no other operation, and no commit but its own, comes between its
   * steps, so a change of several steps (a rename) is in one group whole or not at all.
   *
   * @example
   * ```ts
   * await pool.atomically(async ({ objects }) => {
   *   await objects.write(from, 0, entryRemoved);
   *   await objects.write(to, 0, entryAdded);
   * });
   * ```
   */
  atomically<T>(work: (turn: PoolTurn) => Promise<T>): Promise<T>;
  /**
   * Commits, then reads every copy of every block of the pool from its devices, verifies each, and
   * rewrites the copies that do not verify from one that does (ZFS's scrub). Other operations wait
   * for it. `onProgress` hears how far it got after each block.
   */
  scrub(onProgress?: (progress: ScrubProgress) => void): Promise<ScrubResult>;
  /**
   * Replaces device `which` (its index in the configuration, its guid, or its block device's name)
   * with `device`, which must hold no other pool and be at least as large (ZFS's `zpool replace`,
   * and the resilver after it). It commits, then writes the replaced device's part of every block
   * onto `device`, from the other devices, verified. Then it relabels in an order a crash cannot
   * break: every device's front labels name the new device, a commit makes that configuration the
   * pool's, and then the back labels follow. A crash before that commit leaves the pool as it was;
   * after it, with `device` in it. The device replaced leaves the pool and its labels are cleared.
   * Other operations wait for it; `onProgress` hears how far the resilver got after each block.
   *
   * @example
   * ```ts
   * const result = await tank.replace(tank.status().devices[1]!.name, newDisk); // a dead disk's, by name
   * result.repairedBytes; // bytes written to newDisk
   * ```
   */
  replace(which: number | string, device: BlockDevice, onProgress?: (progress: ScrubProgress) => void): Promise<ScrubResult>;
  /**
   * Commits, then closes its devices; the pool stays on them, to be imported again. When the pool
   * is suspended (a commit failed), it closes without committing: an import finds the last group
   * that was committed. A commit that fails here still closes the devices, then rejects.
   */
  export(): Promise<void>;
  /** Closes its devices without committing: the changes since the last commit are dropped. */
  abandon(): Promise<void>;
  /**
   * Closes its devices without committing and clears the four labels of each device present, so that
   * no import finds the pool again (ZFS's `zpool destroy`, then `labelclear`: there is no
   * `import -D` here). A missing device keeps its labels, as in ZFS.
   */
  destroy(): Promise<void>;
}

/** When an open pool commits on its own (ZFS's `zfs_txg_timeout` and `zfs_dirty_data_max`). */
export interface CommitOptions {
  /** A group with changes commits this long after the last commit; default `commitIntervalMsDefault` (5 s). */
  readonly commitIntervalMs?: number;
  /**
   * Bytes of changed data blocks past which a change waits for a commit, so that a writer faster
   * than the devices is held back rather than filling memory; default `dirtyBytesMaxDefault`.
   */
  readonly dirtyBytesMax?: number;
}

export interface CreatePoolOptions extends CommitOptions {
  readonly name: string;
  readonly layout: PoolLayout;
  readonly devices: readonly BlockDevice[];
  /** The checksum of its blocks: `fletcher4` (the default, as ZFS's) or `sha256`. */
  readonly checksum?: ChecksumKind;
}

/** ZFS's default `zfs_txg_timeout`. */
export const commitIntervalMsDefault = 5_000;
/** Changed data a pool holds in memory before a change waits for a commit. */
export const dirtyBytesMaxDefault = 64 << 20;

/**
 * Creates a pool on `devices`, which must not belong to a pool already (ZFS refuses to take a
 * device in use without `-f`), and opens it.
 */
export async function createPool(storage: Storage, options: CreatePoolOptions): Promise<Pool> {
  const { name, layout, devices } = options;
  if (!isPoolName(name)) throw new PoolError(name, 'bad-name', 'a pool name is a letter, then letters, digits and _.:-, at most 64');
  if (!poolLayouts.includes(layout) || devices.length < devicesMin[layout] || (layout === 'single' && devices.length !== 1) || devices.length > devicesMax)
    throw new PoolError(
      name,
      'bad-layout',
      `a ${layout} pool of ${devices.length} device(s): single takes one, mirror and raidz1 two or more, raidz2 three or more, at most ${devicesMax}`,
    );
  const sectorBytes = devices[0]!.sectorBytes;
  if (devices.some((device) => device.sectorBytes !== sectorBytes)) throw new PoolError(name, 'bad-layout', 'its devices have different sector sizes');
  if (options.checksum !== undefined && !checksumKinds.includes(options.checksum))
    throw new PoolError(name, 'bad-option', `checksum ${JSON.stringify(options.checksum)}: it is one of ${checksumKinds.join(', ')}`);
  if (!storage.reservePool(name)) throw new PoolError(name, 'in-use', 'a pool of this name is open already');
  try {
    return await createOpen(storage, options);
  } catch (error) {
    storage.poolClosed(name);
    throw error;
  }
}

async function createOpen(storage: Storage, options: CreatePoolOptions): Promise<Pool> {
  const { name, layout, devices } = options;
  const sectorBytes = devices[0]!.sectorBytes;
  for (const found of findPools(await Promise.all(devices.map(readLabels)))) {
    throw new PoolError(name, 'in-use', `a device is already part of pool ${found.poolName} (${found.poolGuid})`);
  }
  const random = storage.random;
  const guid = newGuid(random);
  const deviceGuids = devices.map(() => newGuid(random));
  // The data area is what the smallest device has between its front and back labels (ZFS's asize).
  const dataEndBytes = Math.min(...devices.map((device) => labelOffsets(device.sizeBytes)[2]));
  const configOf = (deviceIndex: number): LabelConfig => ({
    poolName: name,
    poolGuid: guid,
    layout,
    deviceGuids,
    deviceIndex,
    sectorBytes,
    dataEndBytes,
    checksum: options.checksum ?? 'fletcher4',
    txg: 1,
  });
  await Promise.all(devices.map((device, index) => writeLabels(device, configOf(index))));
  const opened = await openDevices(storage, configOf(0), devices);
  const pool = new OpenPool(storage, configOf(0), devices, opened, 0, ObjectSet.empty(1), options);
  try {
    await pool.commit();
  } catch (error) {
    await pool.close();
    throw error;
  }
  await pool.start();
  return pool;
}

/**
 * Imports pool `name` from `devices` (ZFS's `zpool import -d`): its devices opened as actors, a
 * mirror with sides missing while one is there, and the newest uberblock whose tree verifies.
 */
export async function importPool(storage: Storage, devices: readonly BlockDevice[], name: string, options: CommitOptions = {}): Promise<Pool> {
  if (!storage.reservePool(name)) throw new PoolError(name, 'in-use', 'a pool of this name is open already');
  try {
    return await importOpen(storage, devices, name, options);
  } catch (error) {
    storage.poolClosed(name);
    throw error;
  }
}

async function importOpen(storage: Storage, devices: readonly BlockDevice[], name: string, options: CommitOptions): Promise<Pool> {
  const found = findPools(await Promise.all(devices.map(readLabels))).filter((pool) => pool.poolName === name);
  if (found.length === 0) throw new PoolError(name, 'not-found', `no device given holds a pool of this name`);
  if (found.length > 1) throw new PoolError(name, 'not-found', `${found.length} pools of this name: import by guid once that exists`);
  const pool = found[0]!;
  // A device cut shorter than the pool's data area is not one of its devices any more.
  const usable = pool.devices.map((device) => (device !== undefined && labelOffsets(device.sizeBytes)[2] >= pool.config.dataEndBytes ? device : undefined));
  const missing = pool.config.deviceGuids.filter((_, index) => usable[index] === undefined);
  if (missing.length > devicesSpareOf(pool.config.layout, pool.config.deviceGuids.length))
    throw new PoolError(name, 'missing-devices', `devices ${missing.join(', ')} are missing or too small, and its ${pool.config.layout} layout needs them`);
  if (pool.uberblocks.length === 0) throw new PoolError(name, 'no-uberblock', 'no uberblock of it verifies on its devices');
  // A device whose newest group is older than the pool's was away while groups were committed: it
  // lacks their blocks, so it is not read from until resilvered from those groups (ZFS's DTL).
  const staleSinceOf = (txg: number) =>
    new Map<number, number>(
      usable.flatMap((device, index) => {
        const held = pool.deviceTxgs[index];
        return device !== undefined && (held === undefined || held < txg) ? [[index, held ?? 0] as const] : [];
      }),
    );
  const newestStale = staleSinceOf(pool.uberblocks[0]!.txg);
  if (missing.length + newestStale.size > devicesSpareOf(pool.config.layout, pool.config.deviceGuids.length)) {
    const stale = [...newestStale].map(([index, since]) => `${pool.config.deviceGuids[index]} (its newest group ${since})`);
    throw new PoolError(
      name,
      'missing-devices',
      `too few devices hold every group to ${pool.uberblocks[0]!.txg}: ${[...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []), `behind ${stale.join(', ')}`].join('; ')}`,
    );
  }
  const opened = await openDevices(storage, pool.config, usable);
  const problems: string[] = [];
  for (const uberblock of pool.uberblocks) {
    const candidate = new OpenPool(storage, pool.config, usable, opened, uberblock.txg, null, options, staleSinceOf(uberblock.txg));
    try {
      await candidate.load(uberblock.root);
      // The trees of the groups just before it stay whole for as long as a running pool keeps them.
      for (const older of pool.uberblocks) if (older.txg < uberblock.txg && older.txg >= uberblock.txg - rewindTxgs) await candidate.protect(older.root);
      await candidate.resilverStale();
      await candidate.start();
      return candidate;
    } catch (error) {
      if (!(error instanceof FormatError || error instanceof ChecksumError)) {
        await candidate.close();
        throw error;
      }
      problems.push(`txg ${uberblock.txg}: ${error.message}`);
    }
  }
  await Promise.all(opened.map((device) => device?.close()));
  throw new PoolError(name, 'no-uberblock', `no uberblock's tree verifies (${problems.join('; ')})`);
}

async function openDevices(storage: Storage, config: LabelConfig, devices: readonly (BlockDevice | undefined)[]): Promise<(PoolDevice | undefined)[]> {
  const opened: (PoolDevice | undefined)[] = [];
  try {
    for (const [index, device] of devices.entries())
      opened.push(device === undefined ? undefined : await storage.openDevice(device, { name: deviceName(config, index) }));
  } catch (error) {
    await Promise.all(opened.map((device) => device?.close()));
    throw error;
  }
  return opened;
}

/** An open pool: its devices as actors, its space, and its object set. */
class OpenPool implements Pool {
  readonly name: string;
  readonly guid: string;
  readonly layout: PoolLayout;
  readonly objects: PoolObjects;
  /** The same calls, straight on the object set: only for work in its turn. */
  private readonly direct: PoolObjects;
  private readonly io: PoolBlockIo;
  private readonly vdev: TopVdev;
  private readonly space: SpaceMap;
  /** Room kept free for the metadata of any commit (see `roomCosts`). */
  private readonly roomReservedBytes: number;
  private guidSum: bigint;
  /** The pool's actor, where its operations run once it has started (see `run`); null before, and once closed. */
  private actor: ActorRef<PoolActorMsg> | null = null;
  /** Closing (an export, destroy or abandon began): every operation asked from now on fails. */
  private closing = false;
  /** Closed, and its last operations run. */
  private ended = false;
  /** The tail of the queue operations wait their turn in before the pool has started. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Why the pool stopped taking changes (a commit failed part way), or null. */
  private suspended: string | null = null;
  private scan: ScrubStatus | null = null;
  /** Where its transaction groups are (txg-machine.ts). */
  private txgSnapshot: ReturnType<TxgMachine['resolveState']>;
  private readonly commitIntervalMs: number;
  private readonly dirtyBytesMax: number;
  /** The timer of the next commit on its own, or null (not started, or closed). */
  private commitTimer: TimerHandle | null = null;
  /** Its devices, as actors and as block devices, by index in its configuration (a replace changes one). */
  readonly devices: (PoolDevice | undefined)[];
  readonly blockDevices: (BlockDevice | undefined)[];
  /** Open for use: shown in the storage subsystem's status, and holding its name there. */
  private started = false;
  /** Inside an `atomically` turn: changes past the dirty bound commit at its end, not between its steps. */
  private inTurn = false;
  /** What the changes since the last commit will take on the devices, at most (see `changing`). */
  private pendingCostBytes = 0;
  /** What the largest block those changes will write takes on the devices. */
  private pendingLargestBytes = 0;
  /** What a block of so many bytes takes on the devices, parity and rounding included. */
  private readonly allocatedBytesOf: (bytes: number) => number;
  /** What a new indirect block of level 1 takes on the devices: two copies. */
  private readonly parentCostBytes: number;
  private closed = false;

  constructor(
    private readonly storage: Storage,
    private config: LabelConfig,
    blockDevices: readonly (BlockDevice | undefined)[],
    devices: readonly (PoolDevice | undefined)[],
    private committedTxg: number,
    private set: ObjectSet | null,
    options: CommitOptions,
    /** Devices that missed groups (by index), each with the newest group it holds: read from only once resilvered. */
    private readonly staleSince: ReadonlyMap<number, number> = new Map(),
  ) {
    this.commitIntervalMs = options.commitIntervalMs ?? commitIntervalMsDefault;
    this.dirtyBytesMax = options.dirtyBytesMax ?? dirtyBytesMaxDefault;
    if (!(this.commitIntervalMs > 0 && this.commitIntervalMs < Number.POSITIVE_INFINITY))
      throw new RangeError(`commitIntervalMs must be a positive number of ms, got ${options.commitIntervalMs}`);
    if (!Number.isSafeInteger(this.dirtyBytesMax) || this.dirtyBytesMax < 1)
      throw new RangeError(`dirtyBytesMax must be a positive integer, got ${options.dirtyBytesMax}`);
    this.txgSnapshot = txgMachine().resolveState({ value: 'open' });
    this.devices = [...devices];
    this.blockDevices = [...blockDevices];
    this.name = config.poolName;
    this.guid = config.poolGuid;
    this.layout = config.layout;
    this.guidSum = guidSumOf(config.deviceGuids);
    const area = { sectorBytes: config.sectorBytes, dataStartBytes: 2 * labelBytes, dataEndBytes: config.dataEndBytes };
    this.vdev = topVdevOf(
      config.layout,
      devices.map((device) => device?.ref),
      area,
    );
    for (const index of staleSince.keys()) this.vdev.rebuildChild(index, devices[index]!.ref);
    this.space = new SpaceMap(this.vdev.startBytes, this.vdev.endBytes, config.sectorBytes);
    this.io = new PoolBlockIo({ space: this.space, vdev: this.vdev, checksum: config.checksum });
    // Room is counted in what blocks take on the devices, parity and rounding included.
    const { blockCostBytes, dnodeCostBytes, roomReservedBytes, allocatedBytesOf, parentCostBytes } = roomCosts(this.vdev);
    this.roomReservedBytes = roomReservedBytes;
    this.parentCostBytes = parentCostBytes;
    this.allocatedBytesOf = allocatedBytesOf;
    const io = this.io;
    const objects = () => {
      if (this.set === null) throw new PoolError(this.name, 'suspended', 'the pool is not loaded');
      return this.set;
    };
    // Each call straight on the object set, for work already in its turn (`atomically`)...
    this.direct = {
      // Each a change like the others: refused once suspended, and checked for room.
      create: (type, blockBytes = recordBytesDefault) =>
        this.changing(
          dnodeCostBytes,
          false,
          0,
          async () => objects().create(type, blockBytes, this.committedTxg + 1),
          () => dnodeCostBytes,
        ),
      read: (id, offsetBytes, lengthBytes, into) => objects().read(io, id, offsetBytes, lengthBytes, into),
      write: async (id, offsetBytes, data, options) => {
        const { blockBytes } = await objects().stat(io, id);
        const first = Math.floor(offsetBytes / blockBytes);
        const blocks = data.byteLength === 0 ? 0 : Math.floor((offsetBytes + data.byteLength - 1) / blockBytes) - first + 1;
        // A write may dirty a new indirect block above every 128 data blocks, and one more where it starts.
        const parents = blocks === 0 ? 0 : Math.ceil(blocks / pointersPerIndirect) + 1;
        return this.changing(
          blocks * blockCostBytes(blockBytes) + parents * parentCostBytes + dnodeCostBytes,
          options?.useReserve === true,
          blockBytes,
          () => objects().write(io, id, offsetBytes, data),
          (dirtied) => (dirtied / blockBytes) * blockCostBytes(blockBytes) + dnodeCostBytes,
        );
      },
      truncate: async (id, sizeBytes) => {
        // A cut inside a block rewrites that block, so it needs room like a write; any other cut
        // gives room back (later: frees are deferred) and may use the room kept back.
        const { blockBytes, sizeBytes: before } = await objects().stat(io, id);
        const rewritesTail = sizeBytes < before && sizeBytes % blockBytes !== 0;
        return this.changing(
          (rewritesTail ? blockCostBytes(blockBytes) + parentCostBytes : 0) + dnodeCostBytes,
          !rewritesTail,
          rewritesTail ? blockBytes : 0,
          () => objects().truncate(io, id, sizeBytes),
          (dirtied) => (Math.max(0, dirtied) / blockBytes) * blockCostBytes(blockBytes) + dnodeCostBytes,
        );
      },
      remove: (id) =>
        this.changing(
          dnodeCostBytes,
          true,
          0,
          () => objects().remove(io, id),
          () => dnodeCostBytes,
        ),
      stat: (id) => objects().stat(io, id),
      ids: () => objects().ids(io),
    };
    // ...and each in a turn of its own.
    const direct = this.direct;
    this.objects = {
      create: (type, blockBytes) => this.run(() => direct.create(type, blockBytes)),
      read: (id, offsetBytes, lengthBytes, into) => this.run(() => direct.read(id, offsetBytes, lengthBytes, into)),
      write: (id, offsetBytes, data, options) => this.run(() => direct.write(id, offsetBytes, data, options)),
      truncate: (id, sizeBytes) => this.run(() => direct.truncate(id, sizeBytes)),
      remove: (id) => this.run(() => direct.remove(id)),
      stat: (id) => this.run(() => direct.stat(id)),
      ids: () => this.run(() => direct.ids()),
    };
  }

  atomically<T>(work: (turn: PoolTurn) => Promise<T>): Promise<T> {
    return this.run(async () => {
      // Inside the turn, a change past the dirty bound does not commit between the work's steps:
      // the commit waits for the end of the turn.
      this.inTurn = true;
      let result: T;
      try {
        result = await work({ objects: this.direct, commit: () => this.sync() });
      } finally {
        this.inTurn = false;
      }
      if ((this.set?.dirtyBytes ?? 0) > this.dirtyBytesMax) await this.sync();
      return result;
    });
  }

  get txg(): number {
    return this.committedTxg;
  }

  /** Loads the object set `root` points at, verifying every block of it and claiming its space. */
  async load(root: BlockPointer): Promise<void> {
    const set = isHole(root) ? ObjectSet.empty(this.committedTxg) : await ObjectSet.load(this.io, root);
    for await (const pointer of set.pointers(this.io)) this.io.claim(pointer);
    this.set = set;
    const scan = set.lastScan;
    this.scan = scan === null ? null : { state: 'finished', ...scan };
  }

  /**
   * The pool is open: its operations run in its actor from now on (pool-actor.ts), it shows in the
   * storage subsystem's status, and it commits on its own.
   */
  async start(): Promise<void> {
    if (this.closed) return;
    this.actor = await this.storage.startPoolActor(this.name);
    this.storage.poolOpened(this.name, this);
    this.started = true;
    this.armCommitTimer();
  }

  /** Arms the commit interval's timer. */
  private armCommitTimer(): void {
    if (this.closed) return;
    this.commitTimer = this.storage.setTimer(this.commitIntervalMs, () => {
      this.commitTimer = null;
      // A failed commit suspends the pool, and a suspended pool has nothing more to commit. With
      // nothing changed, a group is still committed while space freed lately waits for one (ZFS's
      // syncing of frees), so an idle pool gets its space back.
      // An operation that could not even be asked (its mailbox full) does not end the commits; a
      // failed commit, which suspends the pool, does (as does closing it, see armCommitTimer).
      this.run(() => this.sync(this.io.freesDeferred)).then(
        () => this.armCommitTimer(),
        () => {
          if (this.suspended === null) this.armCommitTimer();
        },
      );
    });
  }

  commit(): Promise<number> {
    return this.run(() => this.sync());
  }

  /**
   * Keeps the blocks of an older tree (`root`) from reuse as a running pool keeps those of the last
   * groups it committed: as if freed now (block-io.ts defers them). A tree that does not verify is
   * no tree to fall back on, and is left alone.
   */
  async protect(root: BlockPointer): Promise<void> {
    if (isHole(root)) return;
    try {
      const older = await ObjectSet.load(this.io, root);
      for await (const pointer of older.pointers(this.io)) this.io.claimDeferred(pointer, this.committedTxg);
    } catch (error) {
      if (!(error instanceof FormatError || error instanceof ChecksumError)) throw error;
    }
  }

  /**
   * Resilvers the devices that missed groups while away, from the groups they missed only (their
   * blocks born later), then commits a group they take whole, uberblock and all. Run at import,
   * before the pool starts.
   */
  async resilverStale(): Promise<void> {
    if (this.staleSince.size === 0) return;
    await this.run(async () => {
      const result = await this.walkBlocks('resilver', undefined, async (pointer) => {
        let parts = 0;
        let bytes = 0;
        try {
          for (const [index, since] of this.staleSince) {
            if (pointer.birthTxg <= since) continue;
            bytes += await this.io.resilver(pointer, index, this.devices[index]!.ref);
            parts++;
          }
        } catch (error) {
          if (!(error instanceof ChecksumError)) throw error;
          return { repairedCopies: parts, repairedBytes: bytes, unrecoverable: true };
        }
        return { repairedCopies: parts, repairedBytes: bytes, unrecoverable: false };
      });
      // A tree the walk could not finish is no tree to import (load verified it, so this is rare).
      if (!result.complete) throw new ChecksumError(['the resilver could not read all of the tree']);
      await Promise.all([...this.staleSince.keys()].map((index) => this.devices[index]!.ref.ask({ type: 'flush' })));
      for (const index of this.staleSince.keys()) this.vdev.setChild(index, this.devices[index]!.ref);
      this.recordScan(result);
      await this.sync(true);
    });
  }

  /** Where its transaction groups are: open, quiescing, syncing or suspended. */
  get txgState(): TxgState {
    return this.txgSnapshot.value as TxgState;
  }

  /**
   * Writes the open group (the body of `commit`, run in its turn). `evenUnchanged`: commit a group
   * with nothing changed too, which only moves the groups on, so that space freed lately comes back.
   */
  private async sync(evenUnchanged = false): Promise<number> {
    const set = this.set;
    if (set === null || (!set.dirty && !evenUnchanged)) return this.committedTxg;
    if (this.suspended !== null) throw new PoolError(this.name, 'suspended', this.suspended);
    // One group at a time: the operations before this one have finished, and those after it wait.
    this.step({ type: 'txg.commit' });
    this.step({ type: 'txg.quiesced' });
    const txg = this.committedTxg + 1;
    try {
      const root = await set.sync(this.io, txg);
      // A side counts only if it took every block of the tree, its flush and its uberblock: a side
      // that ever missed a block must not get an uberblock pointing at it.
      let sides = this.committingSides();
      // The new blocks are durable before any uberblock points at them.
      sides = await this.succeeding(sides, (side) => side.ref.ask({ type: 'flush' }), 'flush the group');
      const uberblock = { version: uberblockVersion, txg, guidSum: this.guidSum, timestampMs: Math.round(this.storage.now()), root };
      await this.succeeding(sides, (side) => writeUberblock(throughActor(side.ref, side.sizeBytes), uberblock, this.config.sectorBytes), 'write the uberblock');
    } catch (error) {
      // Part of the group may be on the devices, and the object set in memory is past the last
      // commit: take no more changes. An import finds the last group that was committed.
      this.suspended = `a commit failed: ${(error as Error).message}`;
      this.step({ type: 'txg.failed' });
      throw error;
    }
    this.committedTxg = txg;
    this.pendingCostBytes = 0;
    this.pendingLargestBytes = 0;
    this.io.committed(txg);
    this.step({ type: 'txg.synced' });
    return txg;
  }

  private step(event: TxgEvent): void {
    this.txgSnapshot = xstate().transition(txgMachine(), this.txgSnapshot, event)[0];
  }

  status(): PoolStatus {
    const devices = this.devices.map((device, index) => device?.status() ?? { name: deviceName(this.config, index), state: 'missing' as const });
    const whole = devices.every((device) => device.state === 'online');
    return {
      name: this.name,
      guid: this.guid,
      layout: this.layout,
      checksum: this.config.checksum,
      state: whole ? 'online' : 'degraded',
      txg: this.committedTxg,
      usedBytes: this.space.usedBytes,
      freeBytes: this.space.freeBytes,
      repaired: this.io.repaired,
      scan: this.scan,
      txgState: this.txgState,
      devices,
    };
  }

  scrub(onProgress?: (progress: ScrubProgress) => void): Promise<ScrubResult> {
    return this.run(async () => {
      // What changed is committed first, in the same turn: the scrub sees the whole pool.
      await this.sync();
      const result = await this.walkBlocks('scrub', onProgress, async (pointer) => {
        const scrubbed = await this.io.scrub(pointer);
        return { repairedCopies: scrubbed.repaired, repairedBytes: scrubbed.repairedBytes, unrecoverable: scrubbed.unrecoverable };
      });
      // The repairs are durable before the scrub says it is done, and so is its result (a group of its
      // own, which leaves nothing uncommitted behind it).
      if (result.repairedCopies > 0) await Promise.allSettled(this.devices.map((device) => device?.ref.ask({ type: 'flush' })));
      if (this.suspended === null) {
        this.recordScan(result);
        await this.sync();
      }
      return result;
    });
  }

  replace(which: number | string, device: BlockDevice, onProgress?: (progress: ScrubProgress) => void): Promise<ScrubResult> {
    return this.run(async () => {
      await this.sync();
      if (this.suspended !== null) throw new PoolError(this.name, 'suspended', this.suspended);
      const index = this.deviceIndexOf(which);
      await this.checkReplacement(device);
      const guids = [...this.config.deviceGuids];
      guids[index] = newGuid(this.storage.random, guids);
      const next: LabelConfig = { ...this.config, deviceGuids: guids, txg: this.committedTxg + 1 };
      const opened = await this.storage.openDevice(device, { name: deviceName(next, index) });
      const before = { device: this.devices[index], blockDevice: this.blockDevices[index] };
      let swapped = false;
      let result: ScrubResult;
      try {
        // The device replaced is still read from while the new one is written, if it is there (ZFS's
        // replacing device): a block only it holds whole is not lost.
        result = await this.walkBlocks('resilver', onProgress, async (pointer) => {
          try {
            const bytes = await this.io.resilver(pointer, index, opened.ref);
            return { repairedCopies: bytes > 0 ? 1 : 0, repairedBytes: bytes, unrecoverable: false };
          } catch (error) {
            if (!(error instanceof ChecksumError)) throw error;
            return { repairedCopies: 0, repairedBytes: 0, unrecoverable: true };
          }
        });
        if (result.unrecoverableBlocks > 0 || !result.complete)
          throw new PoolError(
            this.name,
            'unrecoverable',
            `the resilver could not read ${result.unrecoverableBlocks} block(s)${result.complete ? '' : ' and the blocks under them'}: device ${which} stays in the pool`,
          );
        await opened.ref.ask({ type: 'flush' });
        // The new device takes the place; every device's front labels name it, the back labels still the old one.
        this.devices[index] = opened;
        this.blockDevices[index] = device;
        this.vdev.setChild(index, opened.ref);
        swapped = true;
        await this.eachLabel((side) => writeLabelPair(side.writer, { ...next, deviceIndex: side.index }, 'front'));
      } catch (error) {
        // Nothing on the devices makes the new device the pool's yet: the old one stays.
        if (swapped) {
          this.vdev.setChild(index, before.device?.ref);
          this.devices[index] = before.device;
          this.blockDevices[index] = before.blockDevice;
        }
        await opened.close();
        throw error;
      }
      // The group that makes the new configuration the pool's: its uberblock carries the new guid sum.
      this.config = next;
      this.guidSum = guidSumOf(guids);
      this.recordScan(result);
      await this.sync(true);
      await this.eachLabel((side) => writeLabelPair(side.writer, { ...next, deviceIndex: side.index }, 'back')).catch(() => undefined);
      // The device replaced leaves the pool, as `zpool replace` detaches it: no import takes it for one of the pool's again.
      await before.device?.close();
      if (before.blockDevice !== undefined) await clearLabels(before.blockDevice).catch(() => undefined);
      return result;
    });
  }

  /** Which device `which` names: an index in the configuration, a device guid, or a block device's name. */
  private deviceIndexOf(which: number | string): number {
    const index =
      typeof which === 'number'
        ? Number.isInteger(which) && which >= 0 && which < this.config.deviceGuids.length
          ? which
          : -1
        : this.config.deviceGuids.findIndex((guid, at) => guid === which || this.blockDevices[at]?.name === which || deviceName(this.config, at) === which);
    if (index < 0) throw new PoolError(this.name, 'no-such-device', `no device of the pool is ${JSON.stringify(which)}`);
    return index;
  }

  /** Refuses a device that cannot replace one of this pool's: too small, of another sector size, or another pool's. */
  private async checkReplacement(device: BlockDevice): Promise<void> {
    if (this.blockDevices.includes(device) || this.blockDevices.some((each) => each?.name === device.name))
      throw new PoolError(this.name, 'in-use', `${device.name} is a device of the pool already`);
    if (device.sectorBytes !== this.config.sectorBytes)
      throw new PoolError(this.name, 'bad-device', `${device.name} has ${device.sectorBytes}-byte sectors, the pool ${this.config.sectorBytes}`);
    let dataEndBytes: number;
    try {
      dataEndBytes = labelOffsets(device.sizeBytes)[2];
    } catch {
      dataEndBytes = 0;
    }
    if (dataEndBytes < this.config.dataEndBytes)
      throw new PoolError(this.name, 'bad-device', `${device.name} (${device.sizeBytes} bytes) is smaller than the pool's devices`);
    // A device whose labels name this pool with a guid it no longer has is a replace cut short: it may be taken again.
    for (const config of (await readLabels(device)).configs) {
      if (config.poolGuid !== this.guid) throw new PoolError(this.name, 'in-use', `${device.name} is part of pool ${config.poolName} (${config.poolGuid})`);
      if (this.config.deviceGuids.includes(config.deviceGuids[config.deviceIndex]!))
        throw new PoolError(this.name, 'in-use', `${device.name} is a device of the pool already`);
    }
  }

  /** The devices a commit writes its uberblock to: present, and missing no block of the tree (see `PoolBlockIo.staleSides`). */
  private committingSides(): { readonly index: number; readonly ref: ActorRef<PoolDeviceMsg>; readonly sizeBytes: number }[] {
    const stale = this.io.staleSides;
    return this.devices.flatMap((device, index) =>
      device === undefined || stale.has(index) ? [] : [{ index, ref: device.ref, sizeBytes: this.blockDevices[index]!.sizeBytes }],
    );
  }

  /** Runs `write` on every device that commits take (present, and missing no block), as label-io's writer. */
  private async eachLabel(write: (side: { readonly index: number; readonly writer: LabelWriter }) => Promise<void>): Promise<void> {
    await this.succeeding(this.committingSides(), (side) => write({ index: side.index, writer: throughActor(side.ref, side.sizeBytes) }), 'relabel');
  }

  /**
   * Walks every block of the pool, calling `visit` on each (one turn: the caller runs it in its own),
   * and keeps the scan's progress and result for the status.
   */
  private async walkBlocks(
    kind: 'scrub' | 'resilver',
    onProgress: ((progress: ScrubProgress) => void) | undefined,
    visit: (pointer: BlockPointer) => Promise<{ repairedCopies: number; repairedBytes: number; unrecoverable: boolean }>,
  ): Promise<ScrubResult> {
    const set = this.set;
    if (set === null) throw new PoolError(this.name, 'suspended', 'the pool is not loaded');
    const startedMs = this.storage.now();
    const totalBytes = this.space.usedBytes;
    let examinedBytes = 0;
    let blocks = 0;
    let repairedCopies = 0;
    let repairedBytes = 0;
    let unrecoverableBlocks = 0;
    let complete = true;
    const previous = this.scan;
    this.scan = { state: 'scrubbing', kind, examinedBytes, totalBytes };
    try {
      for await (const pointer of set.pointers(this.io)) {
        const visited = await visit(pointer);
        blocks++;
        examinedBytes += pointer.addresses.reduce((sum, address) => sum + address.allocatedBytes, 0);
        repairedCopies += visited.repairedCopies;
        repairedBytes += visited.repairedBytes;
        if (visited.unrecoverable) unrecoverableBlocks++;
        const progress = { examinedBytes: Math.min(examinedBytes, totalBytes), totalBytes };
        this.scan = { state: 'scrubbing', kind, ...progress };
        onProgress?.(progress);
      }
    } catch (error) {
      // The walk reads the tree's metadata to find the blocks below it: one no copy of which
      // verifies (counted above) ends the walk there.
      if (!(error instanceof ChecksumError)) {
        this.scan = previous;
        throw error;
      }
      complete = false;
    }
    const result = { kind, blocks, examinedBytes, repairedCopies, repairedBytes, unrecoverableBlocks, complete, durationMs: this.storage.now() - startedMs };
    this.scan = { state: 'finished', ...result };
    return result;
  }

  /** Keeps a finished scan's result with the pool, from its next commit on, for a later import to report (as ZFS keeps it). */
  private recordScan(result: ScrubResult): void {
    this.set?.recordScan(result);
  }

  async export(): Promise<void> {
    let failure: unknown = null;
    // The commit and the close in one turn: a change asked after export() began is refused, not lost.
    await this.closeDevices(async () => {
      if (this.suspended !== null) return;
      try {
        await this.sync();
      } catch (error) {
        failure = error;
      }
    });
    this.releaseName();
    if (failure !== null) throw failure;
  }

  abandon(): Promise<void> {
    return this.close();
  }

  /** The kernel stopped, and its device actors and its own with it: the pool stops committing on its own. */
  halt(): void {
    this.closed = true;
    this.actor = null;
    this.ended = true;
    if (this.commitTimer !== null) this.storage.cancelTimer(this.commitTimer);
    this.commitTimer = null;
  }

  async destroy(): Promise<void> {
    await this.closeDevices();
    try {
      for (const device of this.blockDevices) if (device !== undefined) await clearLabels(device);
    } finally {
      // Only now may another pool of its name be opened: its labels are gone (or the wipe failed, and says so).
      this.releaseName();
    }
  }

  /** Closes the device actors, after the operations queued. */
  async close(): Promise<void> {
    await this.closeDevices();
    this.releaseName();
  }

  /**
   * Stops the commits and takes no more operations; then, after the operations asked before, runs
   * `last` (an export's commit) and closes the device actors.
   */
  private async closeDevices(last?: () => Promise<void>): Promise<void> {
    this.closed = true;
    if (this.commitTimer !== null) this.storage.cancelTimer(this.commitTimer);
    this.commitTimer = null;
    const closing = this.run(async () => {
      await last?.();
      await Promise.all(this.devices.map((device) => device?.close()));
    });
    this.closing = true;
    await closing;
    // Every operation asked before has run: the actor goes, and an operation asked after fails.
    const actor = this.actor;
    this.actor = null;
    this.ended = true;
    if (actor !== null) await this.storage.stopPoolActor(this.name);
  }

  /**
   * Gives the pool's name back, once its devices are closed. Only a started pool holds it; a
   * candidate of an import leaves it to the import.
   */
  private releaseName(): void {
    if (!this.started) return;
    this.started = false;
    this.storage.poolClosed(this.name);
  }

  /**
   * Runs `operation` after every operation called before it: in the pool's actor once the pool has
   * started, before that (while it is created or imported) in a queue of its own.
   */
  private run<T>(operation: () => Promise<T>): Promise<T> {
    if (this.closing || this.ended)
      return Promise.reject(new PoolError(this.name, 'closed', 'the pool was exported, destroyed or abandoned, or its kernel stopped: import it again'));
    if (this.actor !== null) return this.actor.ask({ type: 'run', operation }, { deadlineMs: poolOperationDeadlineMs }) as Promise<T>;
    const result = this.queue.then(operation);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Runs a change, refused once the pool is suspended, or with `PoolFullError` when it could take
   * more than `mostBytes` the free space has beside what the changes since the last commit will
   * take: a commit must never run out of room, since one that fails part way suspends the pool. What
   * the change will take is then counted from the data blocks it dirtied (`costOf`, given their
   * bytes), so a block changed again costs nothing more. The room kept back (`roomReservedBytes`) is
   * for the metadata of a commit; `useReserve` lets a change that gives room back use it too. A
   * change that leaves more changed data than `dirtyBytesMax` commits before it resolves (outside a
   * turn): the writer waits for the devices.
   */
  private async changing<T>(
    mostBytes: number,
    useReserve: boolean,
    dataBlockBytes: number,
    change: () => Promise<T>,
    costOf: (dirtiedBytes: number) => number,
  ): Promise<T> {
    if (this.suspended !== null) throw new PoolError(this.name, 'suspended', this.suspended);
    // Room is what blocks as large as the largest the commit will write are sure to find: holes
    // between blocks too small for it do not count (see `SpaceMap.roomFor`).
    const largestBytes = Math.max(this.pendingLargestBytes, this.allocatedBytesOf(Math.max(dataBlockBytes, metadataBlockBytesMax)));
    // A commit's allocations start from the cursor and from each further copy's place: each may cut
    // an extent once, leaving a piece too short before it (see `SpaceMap.roomFor`).
    const cutsBytes = (copiesMax + 1) * largestBytes;
    const room = () => this.space.roomFor(largestBytes) - cutsBytes - this.pendingCostBytes - (useReserve ? 0 : this.roomReservedBytes);
    // Space freed lately comes back once later groups are committed: with nothing else changed,
    // commit empty groups for it (ZFS's syncing of frees) rather than refuse.
    for (let round = 0; mostBytes > room() && round <= rewindTxgs && this.io.freesDeferred && this.set !== null && !this.set.dirty; round++)
      await this.sync(true);
    if (mostBytes > room()) throw new PoolFullError(mostBytes, Math.max(0, room()));
    const before = this.set?.dirtyBytes ?? 0;
    const parentsBefore = this.set?.dirtyParentCount ?? 0;
    const result = await change();
    // The data blocks it dirtied, and the indirect blocks above them that no change before had dirtied.
    const parents = Math.max(0, (this.set?.dirtyParentCount ?? 0) - parentsBefore);
    this.pendingCostBytes += Math.ceil(costOf((this.set?.dirtyBytes ?? 0) - before)) + parents * this.parentCostBytes;
    this.pendingLargestBytes = largestBytes;
    if (!this.inTurn && (this.set?.dirtyBytes ?? 0) > this.dirtyBytesMax) await this.sync();
    return result;
  }

  /**
   * Runs `step` on every side and returns those it succeeded on; at least the top-level device's
   * `childrenNeeded` must (one side of a mirror, all but the parity of RAID-Z): the pool goes on
   * without a failing device, as ZFS does, and resilvers it later.
   */
  private async succeeding<T>(sides: readonly T[], step: (side: T) => Promise<unknown>, what: string): Promise<T[]> {
    const outcomes = await Promise.allSettled(sides.map(step));
    const kept = sides.filter((_, index) => outcomes[index]!.status === 'fulfilled');
    if (kept.length >= this.vdev.childrenNeeded) return kept;
    const failure = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult | undefined;
    throw (
      failure?.reason ??
      new PoolError(
        this.name,
        'suspended',
        `only ${kept.length} device(s) took every block of the group, too few to ${what} (${this.vdev.childrenNeeded} needed)`,
      )
    );
  }
}

/** A device actor seen as the block device label-io writes to: its writes and flushes go through the actor. */
function throughActor(ref: ActorRef<PoolDeviceMsg>, sizeBytes: number): Pick<BlockDevice, 'sizeBytes' | 'write' | 'flush'> {
  return {
    sizeBytes,
    write: async (offsetBytes, data) => {
      await ref.ask({ type: 'write', offsetBytes, data });
    },
    flush: async () => {
      await ref.ask({ type: 'flush' });
    },
  };
}

/**
 * What changes take on `vdev` at most, with its parity and rounding:
 * - `blockCostBytes`: a changed data block of `blockBytes`, and its share of the indirect blocks
 *   above it (two copies of 16 KiB for 128 blocks, twice over for the levels above);
 * - `parentCostBytes`: an indirect block of level 1 that a change dirties where none was dirty
 *   (two copies): a sparse write pays one of its own, which the share above does not cover;
 * - `dnodeCostBytes`: a changed dnode's share of the dnode blocks and their indirect blocks a
 *   commit writes, two copies of each (1 KiB on a mirror);
 * - `roomReservedBytes`: room a pool keeps free for the metadata of any commit (the dnode array's
 *   tree, the objset block), 1 MiB on a mirror.
 */
function roomCosts(vdev: TopVdev) {
  const sectorBytes = vdev.sectorBytes;
  const allocated = (bytes: number) => vdev.allocatedBytesOf(Math.ceil(bytes / sectorBytes) * sectorBytes);
  // Metadata is written in blocks of 16 KiB: what one takes, per byte, scales the metadata's costs.
  const metadataScale = allocated(indirectBytes) / indirectBytes;
  return {
    allocatedBytesOf: allocated,
    parentCostBytes: 2 * allocated(indirectBytes),
    blockCostBytes: (blockBytes: number) => allocated(blockBytes) + Math.ceil((4 * allocated(indirectBytes)) / pointersPerIndirect),
    dnodeCostBytes: Math.ceil(1024 * metadataScale),
    roomReservedBytes: Math.ceil((1 << 20) * metadataScale),
  };
}

/** The largest block of metadata a commit writes: indirect blocks and dnode blocks (the objset block is smaller). */
const metadataBlockBytesMax = Math.max(indirectBytes, dnodeBlockBytes, objsetBlockBytes);

/** The most devices a pool has: RAID-Z's Q parity has distinct coefficients for at most 254 data columns. */
const devicesMax = 254;

/** Data blocks of a new object by default: ZFS's recordsize. */
export const recordBytesDefault = 128 << 10;

/** A device's name among the storage subsystem's: its pool's (cut short) and its guid, unique. */
function deviceName(config: LabelConfig, index: number): string {
  return `${config.poolName.slice(0, 24)}-${config.deviceGuids[index]}`;
}

function newGuid(random: Random, taken: readonly string[] = []): string {
  // 64 random bits, never all zero (ZFS's guids are non-zero), and none a device of the pool has.
  for (;;) {
    const high = random.int(2 ** 32);
    const low = random.int(2 ** 32);
    const guid = high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
    if ((high !== 0 || low !== 0) && !taken.includes(guid)) return guid;
  }
}
