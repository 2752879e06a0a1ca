/**
 * A pool's public face: the `Pool` an open pool is, what its status and scans report, the options
 * of a create or an import, and `PoolError`. pool.ts opens pools; open-pool.ts is one.
 */
import type { BlockDevice } from '../../drivers/block/block-device.js';
import { OspreyError } from '../../ground/errors.js';
import type { PoolDevice, PoolDeviceStatus } from './device-actor.js';
import type { Dnode } from './dnode.js';
import type { PoolLayout } from './label.js';
import type { TxgState } from './txg-machine.js';
import type { ScrubResult } from './scan-record.js';

export type { ScrubResult } from './scan-record.js';
import type { ChecksumKind } from './checksum.js';
import { cacheBytesDefault } from './block-io.js';

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
    options?: { readonly cause?: unknown },
  ) {
    super(`pool ${pool}: ${detail}`, options);
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
  /** A missing device by its name, and what it `was` (its file, as its labels last named it) when known. */
  readonly devices: readonly (PoolDeviceStatus | { readonly name: string; readonly state: 'missing'; readonly was?: string })[];
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
/** How an open pool runs: when it commits, and how much it keeps in memory. */
export interface PoolOptions {
  /** A group with changes commits this long after the last commit; default `commitIntervalMsDefault` (5 s). */
  readonly commitIntervalMs?: number;
  /**
   * Bytes of changed data blocks past which a change waits for a commit, so that a writer faster
   * than the devices is held back rather than filling memory; default `dirtyBytesMaxDefault`.
   */
  readonly dirtyBytesMax?: number;
  /** Bytes of verified blocks kept in memory for later reads (ZFS's ARC); default `cacheBytesDefault` (64 MiB), 0 for none. */
  readonly cacheBytes?: number;
}

export interface CreatePoolOptions extends PoolOptions {
  readonly name: string;
  readonly layout: PoolLayout;
  readonly devices: readonly BlockDevice[];
  /** The checksum of its blocks: `fletcher4` (the default, as ZFS's) or `sha256`. */
  readonly checksum?: ChecksumKind;
}

/** `options` with their defaults, checked; throws PoolError (`bad-option`) naming the first that is wrong. */
export function poolOptionsOf(name: string, options: PoolOptions): Required<PoolOptions> {
  const commitIntervalMs = options.commitIntervalMs ?? commitIntervalMsDefault;
  if (!(commitIntervalMs > 0 && commitIntervalMs < Number.POSITIVE_INFINITY))
    throw new PoolError(name, 'bad-option', `commitIntervalMs must be a positive number of ms, got ${options.commitIntervalMs}`);
  const dirtyBytesMax = options.dirtyBytesMax ?? dirtyBytesMaxDefault;
  if (!Number.isSafeInteger(dirtyBytesMax) || dirtyBytesMax < 1)
    throw new PoolError(name, 'bad-option', `dirtyBytesMax must be a positive whole number of bytes, got ${options.dirtyBytesMax}`);
  const cacheBytes = options.cacheBytes ?? cacheBytesDefault;
  if (!Number.isSafeInteger(cacheBytes) || cacheBytes < 0)
    throw new PoolError(name, 'bad-option', `cacheBytes must be a non-negative whole number of bytes, got ${options.cacheBytes}`);
  return { commitIntervalMs, dirtyBytesMax, cacheBytes };
}

/** ZFS's default `zfs_txg_timeout`. */
export const commitIntervalMsDefault = 5_000;
/** Changed data a pool holds in memory before a change waits for a commit. */
export const dirtyBytesMaxDefault = 64 << 20;

/** Data blocks of a new object by default: ZFS's recordsize. */
export const recordBytesDefault = 128 << 10;
