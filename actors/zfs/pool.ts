/**
 * Pools, as `zpool create`, `zpool import` and `zpool export` handle them, on the labels of their
 * devices (label-io.ts). A created pool's devices carry its configuration in their four labels and
 * its first uberblock (transaction group 1, an empty tree); an import finds a pool by name among
 * the devices it is given and opens them as device actors, a mirror even with some of its sides
 * missing; an export closes them. The block tree and its commits come next (docs/storage.md).
 *
 * @example
 * ```ts
 * const tank = await createPool(kernel.subsystem(storage), { name: 'tank', layout: 'mirror', devices: [disk0, disk1] });
 * await tank.export();
 * const again = await importPool(kernel.subsystem(storage), [disk0, disk1], 'tank'); // again.txg === 1
 * ```
 */
import type { BlockDevice } from '../../drivers/block/block-device.js';
import type { Random } from '../../drivers/random/random.js';
import { OspreyError } from '../../ground/errors.js';
import { holePointer } from './block-pointer.js';
import type { PoolDevice, PoolDeviceStatus } from './device-actor.js';
import { isPoolName, type LabelConfig, type PoolLayout } from './label.js';
import { findPools, guidSumOf, readLabels, writeLabels, writeUberblock } from './label-io.js';
import type { Storage } from './storage.js';
import { uberblockVersion } from './uberblock.js';

/** Why a pool could not be created or imported. */
export class PoolError extends OspreyError {
  readonly code = 'pool';
  constructor(
    readonly pool: string,
    readonly reason: 'bad-name' | 'bad-layout' | 'in-use' | 'not-found' | 'missing-devices' | 'no-uberblock',
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
  /** `online` with every device in use, `degraded` with some missing or not in use but enough left. */
  readonly state: 'online' | 'degraded';
  readonly txg: number;
  /** Each device of its configuration, in order; `missing` where none was found. */
  readonly devices: readonly (PoolDeviceStatus | { readonly name: string; readonly state: 'missing' })[];
}

export interface Pool {
  readonly name: string;
  readonly guid: string;
  readonly layout: PoolLayout;
  /** The transaction group its newest uberblock roots. */
  readonly txg: number;
  /** Its open devices, in its configuration's order (undefined where one is missing). */
  readonly devices: readonly (PoolDevice | undefined)[];
  /** The block devices under them, in the same order (a device file's path is its `name`). */
  readonly blockDevices: readonly (BlockDevice | undefined)[];
  status(): PoolStatus;
  /** Closes its devices; the pool stays on them, to be imported again. */
  export(): Promise<void>;
}

export interface CreatePoolOptions {
  readonly name: string;
  readonly layout: 'single' | 'mirror';
  readonly devices: readonly BlockDevice[];
}

/**
 * Creates a pool on `devices`, which must not belong to a pool already (ZFS refuses to take a
 * device in use without `-f`), and opens it.
 */
export async function createPool(storage: Storage, options: CreatePoolOptions): Promise<Pool> {
  const { name, layout, devices } = options;
  if (!isPoolName(name)) throw new PoolError(name, 'bad-name', 'a pool name is a letter, then letters, digits and _.:-, at most 64');
  if (layout === 'single' ? devices.length !== 1 : layout === 'mirror' ? devices.length < 2 : true)
    throw new PoolError(name, 'bad-layout', `a ${layout} pool of ${devices.length} device(s): single takes one, mirror two or more`);
  const sectorBytes = devices[0]!.sectorBytes;
  if (devices.some((device) => device.sectorBytes !== sectorBytes)) throw new PoolError(name, 'bad-layout', 'its devices have different sector sizes');
  for (const found of findPools(await Promise.all(devices.map(readLabels)))) {
    throw new PoolError(name, 'in-use', `a device is already part of pool ${found.poolName} (${found.poolGuid})`);
  }
  const random = storage.random;
  const guid = newGuid(random);
  const deviceGuids = devices.map(() => newGuid(random));
  const configOf = (deviceIndex: number): LabelConfig => ({ poolName: name, poolGuid: guid, layout, deviceGuids, deviceIndex, sectorBytes, txg: 1 });
  await Promise.all(devices.map((device, index) => writeLabels(device, configOf(index))));
  const uberblock = { version: uberblockVersion, txg: 1, guidSum: guidSumOf(deviceGuids), timestampMs: Math.round(storage.now()), root: holePointer() };
  await Promise.all(devices.map((device) => writeUberblock(device, uberblock, sectorBytes)));
  return open(storage, configOf(0), devices, 1);
}

/**
 * Imports pool `name` from `devices` (ZFS's `zpool import -d`): its newest uberblock that verifies,
 * and its devices opened as actors. A mirror imports with sides missing while one is there.
 */
export async function importPool(storage: Storage, devices: readonly BlockDevice[], name: string): Promise<Pool> {
  const found = findPools(await Promise.all(devices.map(readLabels))).filter((pool) => pool.poolName === name);
  if (found.length === 0) throw new PoolError(name, 'not-found', `no device given holds a pool of this name`);
  if (found.length > 1) throw new PoolError(name, 'not-found', `${found.length} pools of this name: import by guid once that exists`);
  const pool = found[0]!;
  const present = pool.devices.filter((device) => device !== undefined).length;
  const needed = pool.config.layout === 'mirror' ? 1 : pool.config.deviceGuids.length;
  if (present < needed)
    throw new PoolError(name, 'missing-devices', `devices ${pool.missing.join(', ')} are missing, and its ${pool.config.layout} layout needs them`);
  if (pool.uberblock === undefined) throw new PoolError(name, 'no-uberblock', 'no uberblock of it verifies on its devices');
  return open(storage, pool.config, pool.devices, pool.uberblock.txg);
}

async function open(storage: Storage, config: LabelConfig, devices: readonly (BlockDevice | undefined)[], txg: number): Promise<Pool> {
  const opened: (PoolDevice | undefined)[] = [];
  try {
    for (const [index, device] of devices.entries())
      opened.push(device === undefined ? undefined : await storage.openDevice(device, { name: deviceName(config, index) }));
  } catch (error) {
    await Promise.all(opened.map((device) => device?.close()));
    throw error;
  }
  return {
    name: config.poolName,
    guid: config.poolGuid,
    layout: config.layout,
    txg,
    devices: opened,
    blockDevices: devices,
    status() {
      const devices = opened.map((device, index) => device?.status() ?? { name: deviceName(config, index), state: 'missing' as const });
      const whole = devices.every((device) => device.state === 'online');
      return { name: config.poolName, guid: config.poolGuid, layout: config.layout, state: whole ? 'online' : 'degraded', txg, devices };
    },
    async export() {
      await Promise.all(opened.map((device) => device?.close()));
    },
  };
}

/** A device's name among the storage subsystem's: its pool's (cut short) and its guid, unique. */
function deviceName(config: LabelConfig, index: number): string {
  return `${config.poolName.slice(0, 24)}-${config.deviceGuids[index]}`;
}

function newGuid(random: Random): string {
  // 64 random bits, never all zero (ZFS's guids are non-zero).
  for (;;) {
    const high = random.int(2 ** 32);
    const low = random.int(2 ** 32);
    if (high !== 0 || low !== 0) return high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
  }
}
