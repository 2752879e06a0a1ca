/**
 * Reading and writing a device's labels, and finding pools from what devices hold: the first and
 * last thing a pool does with its devices (`zpool create`, `zpool import`).
 *
 * - `writeLabels` writes a device's configuration into its four labels, flushing after the front
 *   pair and after the back pair (ZFS writes the even labels, flushes, then the odd ones), so a
 *   crash while relabelling leaves one pair whole.
 * - `writeUberblock` writes a transaction group's uberblock into its slot of the four rings.
 * - `readLabels` reads what a device's labels hold: the configurations that verify, and every
 *   uberblock slot that verifies.
 * - `findPools` groups devices by the pool their labels name and says for each whether all its
 *   devices are there, and which uberblock an import would take.
 *
 * @example
 * ```ts
 * await writeLabels(disk, config);
 * await writeUberblock(disk, uberblock, config.sectorBytes);
 * const [pool] = findPools([await readLabels(disk)]);
 * pool.uberblock?.txg; // uberblock.txg
 * ```
 */
import type { BlockDevice } from '../../drivers/block/block-device.js';
import { FormatError } from './format-errors.js';
import {
  configBytes,
  configOffsetBytes,
  decodeLabelConfig,
  encodeLabelConfig,
  type LabelConfig,
  labelBytes,
  labelOffsets,
  ringBytes,
  ringOffsetBytes,
  uberblockSlotOffset,
} from './label.js';
import { encodeUberblock, pickUberblock, ringSlotBytes, type Uberblock, verifiedUberblocks } from './uberblock.js';

/** What label-io writes to: a block device, or anything that writes and flushes like one (a device actor). */
export type LabelWriter = Pick<BlockDevice, 'sizeBytes' | 'write' | 'flush'>;

/**
 * Writes `config` into the four labels of `device`: the front pair, a flush, the back pair, a flush.
 * One write at a time: a device may take as few as one request at once.
 */
export async function writeLabels(device: LabelWriter, config: LabelConfig): Promise<void> {
  await writeLabelPair(device, config, 'front');
  await writeLabelPair(device, config, 'back');
}

/**
 * Writes `config` into one pair of `device`'s labels, then flushes. A pool that changes its devices
 * (a replace) writes every device's front pair, commits the group that makes the change, then
 * writes the back pairs: a crash before that group leaves the old configuration in the back pairs,
 * one after it the new one in the front pairs, and each with the uberblocks of its device set.
 */
export async function writeLabelPair(device: LabelWriter, config: LabelConfig, pair: 'front' | 'back'): Promise<void> {
  const offsets = labelOffsets(device.sizeBytes);
  for (const label of pair === 'front' ? offsets.slice(0, 2) : offsets.slice(2))
    await device.write(label + configOffsetBytes, encodeLabelConfig(config, label + configOffsetBytes));
  await device.flush();
}

/** Overwrites `device`'s four labels with zeros, then flushes: no import finds a pool on it again. */
export async function clearLabels(device: LabelWriter): Promise<void> {
  const blank = new Uint8Array(labelBytes);
  for (const label of labelOffsets(device.sizeBytes)) await device.write(label, blank);
  await device.flush();
}

/**
 * Writes `uberblock` into slot `txg mod slots` of each of `device`'s four rings, one at a time, then
 * flushes. `device` is a block device, or anything that writes and flushes like one (a device actor).
 */
export async function writeUberblock(device: LabelWriter, uberblock: Uberblock, sectorBytes: number): Promise<void> {
  const slotBytes = ringSlotBytes(sectorBytes);
  for (const label of labelOffsets(device.sizeBytes)) {
    const offset = uberblockSlotOffset(label, uberblock.txg, sectorBytes);
    await device.write(offset, encodeUberblock(uberblock, slotBytes, offset));
  }
  await device.flush();
}

/** What one device's labels hold. */
export interface DeviceLabels {
  readonly device: BlockDevice;
  /** The configurations that verified, one per label that did (they agree unless a relabel was cut short). */
  readonly configs: readonly LabelConfig[];
  /** Every ring slot that verified, with where it was read. */
  readonly slots: readonly { readonly bytes: Uint8Array; readonly offsetBytes: number }[];
}

/** Reads the four labels of `device`; a label that does not verify is left out (a read that fails, too). */
export async function readLabels(device: BlockDevice): Promise<DeviceLabels> {
  const configs: LabelConfig[] = [];
  const slots: { bytes: Uint8Array; offsetBytes: number }[] = [];
  for (const label of labelOffsets(device.sizeBytes)) {
    try {
      configs.push(decodeLabelConfig(await device.read(label + configOffsetBytes, configBytes), label + configOffsetBytes));
    } catch (error) {
      if (!(error instanceof FormatError) && !isIoError(error)) throw error;
    }
    let ring: Uint8Array;
    try {
      ring = await device.read(label + ringOffsetBytes, ringBytes);
    } catch (error) {
      if (isIoError(error)) continue;
      throw error;
    }
    const slotBytes = ringSlotBytes(device.sectorBytes);
    for (let at = 0; at < ringBytes; at += slotBytes) slots.push({ bytes: ring.subarray(at, at + slotBytes), offsetBytes: label + ringOffsetBytes + at });
  }
  return { device, configs, slots };
}

/** A pool that devices' labels name, as an import would find it. */
export interface FoundPool {
  readonly poolName: string;
  readonly poolGuid: string;
  /** The configuration of the uberblock's device set (see findPools). */
  readonly config: LabelConfig;
  /** Its devices found, by index in its configuration (undefined where one is missing). */
  readonly devices: readonly (BlockDevice | undefined)[];
  /** The device guids its configuration names that no device holds. */
  readonly missing: readonly string[];
  /** The newest uberblock of the pool that verifies on any device found; undefined if none does. */
  readonly uberblock: Uberblock | undefined;
  /**
   * Every uberblock of the uberblock's device set that verifies, newest first (the uberblock first):
   * an import falls back on the next when a tree does not verify.
   */
  readonly uberblocks: readonly Uberblock[];
  /**
   * For each device found (by index in the configuration), the uberblocks of this device set it holds
   * that verify, newest first; undefined where the device is missing. A device that does not hold the
   * uberblock an import takes may lack the blocks of the groups since the newest it shares with the
   * devices that do (it was away, or took a group a rewind later dropped).
   */
  readonly deviceUberblocks: readonly (readonly Uberblock[] | undefined)[];
}

/**
 * The pools that `labels` (of several devices) name, in the order their first device came. As ZFS
 * imports, the uberblock comes first: the newest that verifies on any of the pool's devices and
 * belongs to one of the device sets its labels name; the configuration is then the newest of that
 * device set, at most as new as the uberblock when one is. A device guid found twice is the device
 * whose labels are newer (an older copy of a device is not the device).
 */
export function findPools(labels: readonly DeviceLabels[]): FoundPool[] {
  type Found = { configs: LabelConfig[]; byGuid: Map<string, { labels: DeviceLabels; txg: number }> };
  const pools = new Map<string, Found>();
  for (const each of labels) {
    // The newest configuration a device holds says what it is.
    const config = newest(each.configs);
    if (config === undefined) continue;
    const pool: Found = pools.get(config.poolGuid) ?? { configs: [], byGuid: new Map() };
    pool.configs.push(...each.configs.filter((candidate) => candidate.poolGuid === config.poolGuid));
    const guid = config.deviceGuids[config.deviceIndex]!;
    const known = pool.byGuid.get(guid);
    if (known === undefined || config.txg > known.txg) pool.byGuid.set(guid, { labels: each, txg: config.txg });
    pools.set(config.poolGuid, pool);
  }
  return [...pools.values()].map(({ configs, byGuid }) => {
    const slots = [...byGuid.values()].flatMap((each) => each.labels.slots);
    // Each device set the labels name, with the newest uberblock of that set.
    const sums = new Map<bigint, LabelConfig[]>();
    for (const config of configs) {
      const sum = guidSumOf(config.deviceGuids);
      sums.set(sum, [...(sums.get(sum) ?? []), config]);
    }
    let uberblock: Uberblock | undefined;
    for (const sum of sums.keys()) {
      const candidate = pickUberblock(slots, sum);
      if (
        candidate !== undefined &&
        (uberblock === undefined || candidate.txg > uberblock.txg || (candidate.txg === uberblock.txg && candidate.timestampMs > uberblock.timestampMs))
      )
        uberblock = candidate;
    }
    const ofSet = uberblock === undefined ? configs : sums.get(uberblock.guidSum)!;
    const atMost = uberblock === undefined ? ofSet : ofSet.filter((config) => config.txg <= uberblock.txg);
    const config = newest(atMost.length > 0 ? atMost : ofSet)!;
    const sum = uberblock?.guidSum;
    return {
      poolName: config.poolName,
      poolGuid: config.poolGuid,
      config,
      devices: config.deviceGuids.map((guid) => byGuid.get(guid)?.labels.device),
      deviceUberblocks: config.deviceGuids.map((guid) => {
        const found = byGuid.get(guid);
        return found === undefined ? undefined : sum === undefined ? [] : verifiedUberblocks(found.labels.slots, sum);
      }),
      missing: config.deviceGuids.filter((guid) => !byGuid.has(guid)),
      uberblock,
      uberblocks: uberblock === undefined ? [] : verifiedUberblocks(slots, uberblock.guidSum),
    };
  });
}

/** The sum of a pool's device guids, mod 2^64: what its uberblocks carry. */
export function guidSumOf(deviceGuids: readonly string[]): bigint {
  return deviceGuids.reduce((sum, guid) => (sum + BigInt(`0x${guid}`)) % (1n << 64n), 0n);
}

function newest(configs: readonly LabelConfig[]): LabelConfig | undefined {
  return configs.reduce<LabelConfig | undefined>((best, config) => (best === undefined || config.txg > best.txg ? config : best), undefined);
}

function isIoError(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'block-io';
}
