/**
 * Device labels: four copies on each device of a pool, two at its front and two at its end, so a
 * device whose start (or end) was overwritten is still known. Each label is 256 KiB (ZFS's layout):
 * 8 KiB of pad, 8 KiB left for a boot block, 112 KiB of configuration, and a 128 KiB ring of
 * uberblocks. The configuration says which pool the device belongs to and which devices that pool
 * has; it is sealed like an uberblock slot, with the offset it was written at as verifier.
 *
 * @example
 * ```ts
 * for (const offset of labelOffsets(device.sizeBytes)) {
 *   await device.write(offset + configOffsetBytes, encodeLabelConfig(config, offset + configOffsetBytes));
 * }
 * ```
 */
import { assert } from '../../ground/assert.js';
import { type ChecksumKind, checksumKinds } from './checksum.js';
import { areaVerifies, sealArea, sealBytes } from './embedded-checksum.js';
import { FormatError } from './format-errors.js';
import { ringSlotBytes } from './uberblock.js';

export const labelBytes = 256 << 10;
/** Where the configuration starts in a label, and how long it is. */
export const configOffsetBytes = 16 << 10;
export const configBytes = 112 << 10;
/** Where the uberblock ring starts in a label, and how long it is. */
export const ringOffsetBytes = configOffsetBytes + configBytes;
export const ringBytes = 128 << 10;

export type PoolLayout = 'single' | 'mirror' | 'raidz1' | 'raidz2';
export const poolLayouts: readonly PoolLayout[] = ['single', 'mirror', 'raidz1', 'raidz2'];

/** What a label says of its pool, and of the device it is on. */
export interface LabelConfig {
  readonly poolName: string;
  /** The pool's guid, 16 hex digits. */
  readonly poolGuid: string;
  readonly layout: PoolLayout;
  /** Every device's guid, in the pool's order. */
  readonly deviceGuids: readonly string[];
  /** Which of them this device is. */
  readonly deviceIndex: number;
  readonly sectorBytes: number;
  /**
   * Where the pool's data area ends on every device: the front of the back labels of its smallest
   * device when it was created. A device of the pool smaller than that cannot be one of its devices.
   */
  readonly dataEndBytes: number;
  /** The checksum the pool's new blocks carry (each block pointer says its own, so a change needs no rewrite). */
  readonly checksum: ChecksumKind;
  /** The transaction group the configuration was last written in. */
  readonly txg: number;
  /**
   * Each device's name (a file's path) when the configuration was written, in the pool's order, for
   * a status to say what a missing device was (zpool's `was /path`). Labels written before it was
   * kept have none.
   */
  readonly devicePaths?: readonly string[];
}

/** The offsets of a device's four labels: two at its front, two at the end of its last whole label. */
export function labelOffsets(deviceBytes: number): readonly [number, number, number, number] {
  const usable = Math.floor(deviceBytes / labelBytes) * labelBytes;
  if (usable < 4 * labelBytes) throw new RangeError(`a device of ${deviceBytes} bytes has no room for four ${labelBytes}-byte labels`);
  return [0, labelBytes, usable - 2 * labelBytes, usable - labelBytes];
}

/** Uberblock slots in a ring for a device of `sectorBytes`. */
export function ringSlots(sectorBytes: number): number {
  return ringBytes / ringSlotBytes(sectorBytes);
}

/** The offset on the device of the slot that group `txg`'s uberblock takes in the label at `labelOffset`. */
export function uberblockSlotOffset(labelOffset: number, txg: number, sectorBytes: number): number {
  return labelOffset + ringOffsetBytes + (txg % ringSlots(sectorBytes)) * ringSlotBytes(sectorBytes);
}

const guid = /^[0-9a-f]{16}$/;
const configKeys = ['poolName', 'poolGuid', 'layout', 'deviceGuids', 'deviceIndex', 'sectorBytes', 'dataEndBytes', 'checksum', 'txg', 'devicePaths'];
/** The most devices a pool has: RAID-Z's Q parity has distinct coefficients for at most 254 data columns. */
export const devicesMax = 254;
/** The fewest devices of each layout: a mirror of two, RAID-Z with one more device than its parity. */
export const devicesMin: Readonly<Record<PoolLayout, number>> = { single: 1, mirror: 2, raidz1: 2, raidz2: 3 };
/** Devices of a pool of `layout` that may be missing with nothing lost: all but one side of a mirror, RAID-Z's parity. */
export function devicesSpareOf(layout: PoolLayout, devices: number): number {
  return layout === 'mirror' ? devices - 1 : layout === 'raidz1' ? 1 : layout === 'raidz2' ? 2 : 0;
}
const poolName = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;

/** Whether `name` can name a pool: a letter, then letters, digits, `_.:-`, at most 64 in all (as zpool's). */
export function isPoolName(name: string): boolean {
  return poolName.test(name);
}

/** `config` as the 112 KiB configuration area, sealed for `offsetBytes`. */
export function encodeLabelConfig(config: LabelConfig, offsetBytes: number): Uint8Array {
  const problem = configProblem(config);
  if (problem !== null) throw new RangeError(`a label cannot hold this configuration: ${problem}`);
  // Exactly the fields checked, whatever else the object has or inherits (a toJSON, extra keys).
  const written: LabelConfig = {
    poolName: config.poolName,
    poolGuid: config.poolGuid,
    layout: config.layout,
    deviceGuids: [...config.deviceGuids],
    deviceIndex: config.deviceIndex,
    sectorBytes: config.sectorBytes,
    dataEndBytes: config.dataEndBytes,
    checksum: config.checksum,
    txg: config.txg,
    ...(config.devicePaths === undefined ? {} : { devicePaths: [...config.devicePaths] }),
  };
  const text = new TextEncoder().encode(JSON.stringify(written));
  if (4 + text.byteLength > configBytes - sealBytes) throw new RangeError(`the configuration takes ${text.byteLength} bytes, more than a label holds`);
  const area = new Uint8Array(configBytes);
  new DataView(area.buffer).setUint32(0, text.byteLength, true);
  area.set(text, 4);
  sealArea(area, offsetBytes);
  return area;
}

/** The configuration in the area read at `offsetBytes`; throws FormatError for one that does not verify there. */
export function decodeLabelConfig(area: Uint8Array, offsetBytes: number): LabelConfig {
  if (area.byteLength !== configBytes) throw new FormatError('label config', `an area of ${area.byteLength} bytes, not ${configBytes}`);
  if (!areaVerifies(area, offsetBytes))
    throw new FormatError('label config', `the area at ${offsetBytes} does not verify: corrupted, empty, or written elsewhere`);
  const length = new DataView(area.buffer, area.byteOffset).getUint32(0, true);
  if (length > configBytes - sealBytes - 4) throw new FormatError('label config', `a length of ${length} bytes`);
  let config: LabelConfig;
  try {
    config = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(area.subarray(4, 4 + length))) as LabelConfig;
  } catch (error) {
    throw new FormatError('label config', `it is not JSON text: ${(error as Error).message}`);
  }
  const unknown = typeof config === 'object' && config !== null ? Object.keys(config).filter((key) => !configKeys.includes(key)) : [];
  if (unknown.length > 0) throw new FormatError('label config', `fields it does not know: ${unknown.join(', ')}`);
  const problem = configProblem(config);
  if (problem !== null) throw new FormatError('label config', problem);
  return config;
}

function configProblem(config: LabelConfig): string | null {
  if (typeof config !== 'object' || config === null) return 'not an object';
  if (typeof config.poolName !== 'string' || !isPoolName(config.poolName)) return `pool name ${JSON.stringify(config.poolName)}`;
  if (typeof config.poolGuid !== 'string' || !guid.test(config.poolGuid)) return `pool guid ${JSON.stringify(config.poolGuid)}`;
  if (!poolLayouts.includes(config.layout)) return `layout ${JSON.stringify(config.layout)}`;
  if (!Array.isArray(config.deviceGuids) || config.deviceGuids.length < 1 || config.deviceGuids.length > devicesMax) return 'device guids';
  if (!config.deviceGuids.every((each) => typeof each === 'string' && guid.test(each))) return 'a device guid that is not 16 hex digits';
  if (new Set(config.deviceGuids).size !== config.deviceGuids.length) return 'a device guid twice';
  if (config.deviceGuids.length < devicesMin[config.layout])
    return `a ${config.layout} pool of ${config.deviceGuids.length} device(s), fewer than ${devicesMin[config.layout]}`;
  if (config.layout === 'single' && config.deviceGuids.length !== 1) return 'a single-device pool of several devices';
  if (!Number.isInteger(config.deviceIndex) || config.deviceIndex < 0 || config.deviceIndex >= config.deviceGuids.length)
    return `device index ${config.deviceIndex}`;
  if (config.sectorBytes !== 512 && config.sectorBytes !== 4096) return `sector size ${config.sectorBytes}`;
  if (!Number.isSafeInteger(config.dataEndBytes) || config.dataEndBytes <= 2 * labelBytes || config.dataEndBytes % config.sectorBytes !== 0)
    return `a data area ending at ${config.dataEndBytes}`;
  if (!checksumKinds.includes(config.checksum)) return `checksum ${JSON.stringify(config.checksum)}`;
  if (!Number.isSafeInteger(config.txg) || config.txg < 0) return `txg ${config.txg}`;
  const paths = config.devicePaths;
  if (
    paths !== undefined &&
    (!Array.isArray(paths) || paths.length !== config.deviceGuids.length || !paths.every((path) => typeof path === 'string' && isDevicePath(path)))
  )
    return `device paths (one per device, each without control characters and at most ${devicePathBytesMax} bytes as JSON text, or empty)`;
  return null;
}

/** The most bytes a device name takes in a label, as JSON text (quotes and escapes included); a longer one is kept as '' (not known). */
export const devicePathBytesMax = 258;

/** Whether `path` is a device name a label keeps: '' (not known), or one without control characters whose JSON text takes at most `devicePathBytesMax` bytes. */
export function isDevicePath(path: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses.
  return !/[\u0000-\u001f\u007f]/.test(path) && new TextEncoder().encode(JSON.stringify(path)).byteLength <= devicePathBytesMax;
}

// The configuration of the most devices, every path of the longest, fits a label: a comma between
// paths, a guid of 19 bytes each (quotes and comma), and under 8 KiB for the rest.
assert(devicesMax * (devicePathBytesMax + 1) + devicesMax * 19 + (8 << 10) <= configBytes - sealBytes, 'the longest configuration fits a label');
