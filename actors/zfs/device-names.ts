import type { Random } from '../../drivers/random/random.js';
import { isDevicePath, type LabelConfig } from './label.js';

/** A device's name among the storage subsystem's: its pool's (cut short) and its guid, unique. */
export function deviceName(config: LabelConfig, index: number): string {
  return `${config.poolName.slice(0, 24)}-${config.deviceGuids[index]}`;
}

/** A new device or pool guid: 64 random bits as 16 hex digits, never all zero, and none of `taken`. */
export function newGuid(random: Random, taken: readonly string[] = []): string {
  // 64 random bits, never all zero (ZFS's guids are non-zero), and none a device of the pool has.
  for (;;) {
    const high = random.int(2 ** 32);
    const low = random.int(2 ** 32);
    const guid = high.toString(16).padStart(8, '0') + low.toString(16).padStart(8, '0');
    if ((high !== 0 || low !== 0) && !taken.includes(guid)) return guid;
  }
}

/** What a label keeps of a device's name (its file's path): the name, or '' when a label cannot hold it (see `isDevicePath`). */
export function devicePathOf(name: string): string {
  return isDevicePath(name) ? name : '';
}
