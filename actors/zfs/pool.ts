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
import { type PoolOptions, type CreatePoolOptions, type Pool, PoolError, poolOptionsOf } from './pool-api.js';
import { OpenPool } from './open-pool.js';
import { deviceName, devicePathOf, newGuid } from './device-names.js';
import type { BlockDevice } from '../../drivers/block/block-device.js';
import { rewindTxgs } from './block-io.js';
import type { PoolDevice } from './device-actor.js';
import { FormatError } from './format-errors.js';
import { devicesMax, devicesMin, devicesSpareOf, isPoolName, type LabelConfig, labelOffsets, poolLayouts } from './label.js';
import { type FoundPool, findPools, readLabels, writeLabels } from './label-io.js';
import type { Uberblock } from './uberblock.js';
import { ObjectSet } from './object-set.js';
import type { Storage } from './storage.js';
import { ChecksumError } from './verified-read.js';

import { checksumKinds } from './checksum.js';

export * from './pool-api.js';

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
  // Every option is checked before a device is touched.
  const checked = poolOptionsOf(name, options);
  if (!storage.reservePool(name)) throw new PoolError(name, 'in-use', 'a pool of this name is open already');
  try {
    return await createOpen(storage, options, checked);
  } catch (error) {
    storage.poolClosed(name);
    throw error;
  }
}

async function createOpen(storage: Storage, options: CreatePoolOptions, checked: Required<PoolOptions>): Promise<Pool> {
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
    devicePaths: devices.map((device) => devicePathOf(device.name)),
  });
  await Promise.all(devices.map((device, index) => writeLabels(device, configOf(index))));
  const opened = await openDevices(storage, configOf(0), devices);
  const pool = new OpenPool(storage, configOf(0), devices, opened, 0, ObjectSet.empty(1), checked);
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
export async function importPool(storage: Storage, devices: readonly BlockDevice[], name: string, options: PoolOptions = {}): Promise<Pool> {
  const checked = poolOptionsOf(name, options);
  if (!storage.reservePool(name)) throw new PoolError(name, 'in-use', 'a pool of this name is open already');
  try {
    return await importOpen(storage, devices, name, checked);
  } catch (error) {
    storage.poolClosed(name);
    throw error;
  }
}

async function importOpen(storage: Storage, devices: readonly BlockDevice[], name: string, options: Required<PoolOptions>): Promise<Pool> {
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
  const spare = devicesSpareOf(pool.config.layout, pool.config.deviceGuids.length);
  const opened = await openDevices(storage, pool.config, usable);
  const problems: string[] = [];
  for (const uberblock of pool.uberblocks) {
    const stale = staleDevices(pool, usable, uberblock);
    // Devices behind are not read from while they are resilvered, unless too few would be left: then
    // they are read like the others (every block is verified), as ZFS reads a device with gaps.
    const excluded = missing.length + stale.size <= spare;
    const candidate = new OpenPool(storage, pool.config, usable, opened, uberblock.txg, null, options, { stale, excluded });
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
      // A tree that does not verify because devices are missing, or behind by more than this group,
      // is not a commit cut short: going back to an older group would drop groups committed whole.
      // Refused, named, as ZFS refuses an import that lacks devices. (Behind by this group alone, a
      // device may only have missed its uberblock: the group before is tried, as for a torn commit.)
      if (!excluded && (missing.length > 0 || [...stale.values()].some((since) => since < uberblock.txg - 1))) {
        await Promise.all(opened.map((device) => device?.close()));
        const behind = [...stale].map(([index, since]) => `${pool.config.deviceGuids[index]} (from group ${since + 1})`);
        throw new PoolError(
          name,
          'missing-devices',
          `too few devices hold group ${uberblock.txg} whole: ${[...(missing.length > 0 ? [`missing ${missing.join(', ')}`] : []), `behind ${behind.join(', ')}`].join('; ')} (${error.message})`,
        );
      }
      problems.push(`txg ${uberblock.txg}: ${error.message}`);
    }
  }
  await Promise.all(opened.map((device) => device?.close()));
  throw new PoolError(name, 'no-uberblock', `no uberblock's tree verifies (${problems.join('; ')})`);
}

/**
 * The devices found that do not hold `uberblock` itself (same group, same time), each with the group
 * from which on it may lack blocks: the newest it holds that a device holding `uberblock` holds too
 * (an uberblock's group and time name one tree), else 0. A device that missed groups while away, or
 * took a group that a rewind dropped, is behind; one that missed only an uberblock is resilvered
 * from its last group, at the cost of a few rewrites.
 */
function staleDevices(pool: FoundPool, usable: readonly (BlockDevice | undefined)[], uberblock: Uberblock): Map<number, number> {
  const same = (a: Uberblock, b: Uberblock) => a.txg === b.txg && a.timestampMs === b.timestampMs;
  const held = pool.deviceUberblocks.map((each, index) => (usable[index] === undefined ? undefined : each));
  const current = held.filter((each): each is readonly Uberblock[] => each?.some((one) => same(one, uberblock)) === true);
  const stale = new Map<number, number>();
  held.forEach((each, index) => {
    if (each === undefined || each.some((one) => same(one, uberblock))) return;
    const shared = each.filter((one) => one.txg < uberblock.txg && current.some((other) => other.some((mine) => same(mine, one))));
    stale.set(index, shared.length === 0 ? 0 : Math.max(...shared.map((one) => one.txg)));
  });
  return stale;
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
