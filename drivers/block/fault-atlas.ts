/**
 * Bounds on where simulated devices may be damaged, so that a pool's redundancy can always repair
 * what the faults did (TigerBeetle's fault atlas, ZFS's ztest, which writes garbage only where it
 * stays repairable). The devices of one pool share an atlas. The space of a device is cut into
 * zones; in each zone at most `tolerance` devices may ever be faulted (a two-way mirror tolerates 1,
 * RAID-Z2 tolerates 2). A device asks before each fault, and a fault the atlas refuses does not
 * happen. Without an atlas, faults fall anywhere: corruption then goes beyond the redundancy, which
 * the pool must report rather than return as data.
 *
 * @example
 * ```ts
 * const atlas = new FaultAtlas({ devices: 2, tolerance: 1, zoneBytes: 1 << 20 });
 * atlas.mayFault(0, 0, 4096); // true: device 0 may be damaged in zone 0
 * atlas.mayFault(1, 512, 512); // false: zone 0 already has its one faulted device
 * ```
 */

/** The zone size of an atlas that names none, in bytes. */
export const zoneBytesDefault = 1 << 20;

export interface FaultAtlasOptions {
  /** Devices sharing it, numbered from 0. */
  readonly devices: number;
  /** Devices a zone may have faulted at most: the redundancy (0 lets no fault happen). */
  readonly tolerance: number;
  /** Bytes per zone (default 1 MiB), a power of two. */
  readonly zoneBytes?: number;
}

export class FaultAtlas {
  readonly devices: number;
  readonly tolerance: number;
  readonly zoneBytes: number;
  /** The devices faulted in each zone touched so far, by zone number. */
  private readonly faulted = new Map<number, number[]>();
  /** Devices that failed whole: faulted in every zone. */
  private readonly failed = new Set<number>();

  constructor(options: FaultAtlasOptions) {
    const zoneBytes = options.zoneBytes ?? zoneBytesDefault;
    if (!Number.isInteger(options.devices) || options.devices < 1) throw new RangeError(`an atlas covers at least one device, got ${options.devices}`);
    if (!Number.isInteger(options.tolerance) || options.tolerance < 0 || options.tolerance >= options.devices)
      throw new RangeError(`tolerance must be a whole number below the device count ${options.devices}, got ${options.tolerance}`);
    if (!Number.isInteger(zoneBytes) || zoneBytes < 512 || (zoneBytes & (zoneBytes - 1)) !== 0)
      throw new RangeError(`zoneBytes must be a power of two of at least 512, got ${zoneBytes}`);
    this.devices = options.devices;
    this.tolerance = options.tolerance;
    this.zoneBytes = zoneBytes;
  }

  /**
   * Whether `device` may be faulted in bytes [offsetBytes, offsetBytes + lengthBytes); when it may,
   * the zones they touch count it as faulted from now on.
   */
  mayFault(device: number, offsetBytes: number, lengthBytes: number): boolean {
    return this.mayFaultAll(device, [[offsetBytes, lengthBytes]]);
  }

  /** `mayFault` for several ranges at once: all of them are charged, or none (one fault spanning them). */
  mayFaultAll(device: number, ranges: readonly (readonly [number, number])[]): boolean {
    this.checkDevice(device);
    const zones = new Set<number>();
    for (const [offsetBytes, lengthBytes] of ranges) {
      const first = Math.floor(offsetBytes / this.zoneBytes);
      const last = Math.floor((offsetBytes + Math.max(lengthBytes, 1) - 1) / this.zoneBytes);
      for (let zone = first; zone <= last; zone++) zones.add(zone);
    }
    for (const zone of zones) if (!this.faultable(zone, device)) return false;
    for (const zone of zones) {
      const devices = this.faulted.get(zone) ?? [];
      if (!devices.includes(device)) devices.push(device);
      this.faulted.set(zone, devices);
    }
    return true;
  }

  /**
   * Whether `device` may fail whole (it fails every request, or vanishes): it then counts as faulted
   * in every zone, so it may only if no zone has its tolerance of other devices faulted already.
   */
  mayFailDevice(device: number): boolean {
    this.checkDevice(device);
    if (this.failed.has(device)) return true;
    if (this.failed.size >= this.tolerance) return false;
    for (const devices of this.faulted.values()) if (!devices.includes(device) && this.faultedIn(devices).size >= this.tolerance) return false;
    this.failed.add(device);
    return true;
  }

  /** The devices faulted in the zone holding `offsetBytes`, the failed ones included. */
  faultedAt(offsetBytes: number): readonly number[] {
    return [...this.faultedIn(this.faulted.get(Math.floor(offsetBytes / this.zoneBytes)) ?? [])].sort((a, b) => a - b);
  }

  private faultable(zone: number, device: number): boolean {
    const devices = this.faultedIn(this.faulted.get(zone) ?? []);
    return devices.has(device) || devices.size < this.tolerance;
  }

  /** The devices of a zone's list with the failed devices, which count in every zone. */
  private faultedIn(devices: readonly number[]): Set<number> {
    return new Set([...devices, ...this.failed]);
  }

  private checkDevice(device: number): void {
    if (!Number.isInteger(device) || device < 0 || device >= this.devices) throw new RangeError(`device ${device} is not one of the atlas's ${this.devices}`);
  }
}
