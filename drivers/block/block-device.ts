/**
 * The block-device driver: the only door through which the storage pool reaches a disk.
 *
 * A device is a fixed number of bytes in sectors, read and written at positions that are whole
 * sectors, and flushed: a write is durable once a flush that began after the write completed has
 * completed itself, as with a disk's volatile write cache. Every request completes later, never inside the call, with its
 * data or a typed error; the storage subsystem turns completions into interrupts for its actors.
 * Two implementations: one file per device (`createFileDevice`, real I/O), and one in memory with
 * a seeded fault model (`createMemoryDevice`), so that a simulated pool crashes and rots
 * reproducibly.
 *
 * @example
 * ```ts
 * const disk = await createFileDevice('pool/disk0', { sizeBytes: 64 << 20, create: true });
 * await disk.write(8192, new Uint8Array(4096).fill(7));
 * await disk.flush(); // durable now
 * const back = await disk.read(8192, 4096);
 * await disk.close();
 * ```
 */
import { BlockQueueFullError, BlockRangeError } from './block-errors.js';

/** Sector sizes a device may have, in bytes (ZFS's ashift 9 and 12). */
export const sectorBytesAllowed = [512, 4096] as const;
export type SectorBytes = (typeof sectorBytesAllowed)[number];
/** The sector size of a device that names none. */
export const sectorBytesDefault: SectorBytes = 512;
/** Requests a device has in flight at most by default (reads, writes and flushes together). */
export const queueDepthDefault = 64;
/** The most requests a device may be configured to have in flight. */
export const queueDepthMax = 4_096;
/** The smallest device, in bytes: room for the pool's four labels and something besides. */
export const deviceBytesMin = 4 << 20;
/** The largest device, in bytes: a safe integer of bytes, as positions are JavaScript numbers. */
export const deviceBytesMax = 2 ** 50;
/** The largest single read or write, in bytes (ZFS's largest block). */
export const transferBytesMax = 16 << 20;

export interface BlockDevice {
  /** Which kind of device this is: a file on a real disk, or memory with simulated faults. */
  readonly kind: 'file' | 'memory';
  /** Its name in errors and status: the file's path, or the name it was given. */
  readonly name: string;
  /** Its size in bytes, a whole number of sectors, fixed at creation. */
  readonly sizeBytes: number;
  readonly sectorBytes: SectorBytes;
  /** The most requests it takes in flight; one more is refused with `BlockQueueFullError` (policy `reject`). */
  readonly queueDepth: number;
  /** Requests in flight now. */
  readonly inFlight: number;
  /**
   * Reads `lengthBytes` at `offsetBytes`, both whole sectors: into `into` when given (exactly that
   * long; the caller does not touch it until the read completes, and gets it back), else into new
   * memory.
   */
  read(offsetBytes: number, lengthBytes: number, into?: Uint8Array): Promise<Uint8Array>;
  /**
   * Writes `data` (a whole number of sectors) at `offsetBytes`: durable once a flush that began
   * after this write completed has completed. The bytes are taken at the call: the caller may reuse
   * its buffer at once. With `handOver`, the caller promises not to change `data` until the write
   * completes, and the device uses it rather than a copy until then; it keeps no reference after
   * (a pool's blocks, whose memory the pool uses again only once they are durable).
   */
  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): Promise<void>;
  /**
   * Writes `pieces` back to back from `offsetBytes`, as one request (a vectored write, which a pool
   * uses for neighbouring blocks: ZFS's aggregated I/O). The same as `write` of their concatenation,
   * without making it.
   */
  writev(offsetBytes: number, pieces: readonly Uint8Array[], options?: WriteOptions): Promise<void>;
  /** Makes every write completed before it durable (`fdatasync` on a file). */
  flush(): Promise<void>;
  /** Waits for the requests in flight and closes; later requests fail with `ClosedError`. */
  close(): Promise<void>;
}

/** How a write takes its bytes (see `BlockDevice.write`). */
export interface WriteOptions {
  readonly handOver?: boolean;
}

/** Options both kinds of device take. */
export interface BlockDeviceOptions {
  /** Sector size in bytes (default 512). */
  readonly sectorBytes?: SectorBytes;
  /** Requests in flight at most (default 64, at most 4 096). */
  readonly queueDepth?: number;
}

/** The checked sector size and queue depth of `options`; throws RangeError for values no device takes. */
export function deviceGeometry(options: BlockDeviceOptions): { readonly sectorBytes: SectorBytes; readonly queueDepth: number } {
  const sectorBytes = options.sectorBytes ?? sectorBytesDefault;
  if (!sectorBytesAllowed.includes(sectorBytes)) throw new RangeError(`sectorBytes must be one of ${sectorBytesAllowed.join(', ')}, got ${sectorBytes}`);
  const queueDepth = options.queueDepth ?? queueDepthDefault;
  if (!Number.isInteger(queueDepth) || queueDepth < 1 || queueDepth > queueDepthMax)
    throw new RangeError(`queueDepth must be a whole number in [1, ${queueDepthMax}], got ${queueDepth}`);
  return { sectorBytes, queueDepth };
}

/** Checks a device size against the sector size and the bounds; throws RangeError. */
export function checkDeviceSize(sizeBytes: number, sectorBytes: number): void {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < deviceBytesMin || sizeBytes > deviceBytesMax || sizeBytes % sectorBytes !== 0) {
    throw new RangeError(`a device's size must be a whole number of ${sectorBytes}-byte sectors in [${deviceBytesMin}, 2^50] bytes, got ${sizeBytes}`);
  }
}

/**
 * Checks that a transfer of `lengthBytes` at `offsetBytes` lies within `device` in whole sectors
 * (a flush has neither): throws BlockRangeError naming what is wrong.
 */
export function checkTransfer(device: Pick<BlockDevice, 'name' | 'sizeBytes' | 'sectorBytes'>, offsetBytes: number, lengthBytes: number): void {
  const sector = device.sectorBytes;
  let problem: string | null = null;
  if (!Number.isSafeInteger(offsetBytes) || offsetBytes < 0 || offsetBytes % sector !== 0)
    problem = `offset ${offsetBytes} is not a whole number of ${sector}-byte sectors`;
  else if (!Number.isSafeInteger(lengthBytes) || lengthBytes <= 0 || lengthBytes % sector !== 0)
    problem = `length ${lengthBytes} is not a positive whole number of ${sector}-byte sectors`;
  else if (lengthBytes > transferBytesMax) problem = `length ${lengthBytes} is more than the largest transfer, ${transferBytesMax} bytes`;
  else if (offsetBytes + lengthBytes > device.sizeBytes) problem = `bytes [${offsetBytes}, ${offsetBytes + lengthBytes}) run past the end, ${device.sizeBytes}`;
  if (problem !== null) throw new BlockRangeError(device.name, problem);
}

/**
 * Counts the requests a device has in flight against its queue depth: `admit` refuses one past it
 * (the `reject` policy: the caller learns at once and may retry once a completion came).
 */
export class InFlight {
  count = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly device: string,
    readonly depth: number,
  ) {}

  /** Takes a slot for a request, or throws BlockQueueFullError. */
  admit(): void {
    if (this.count >= this.depth) throw new BlockQueueFullError(this.device, this.depth);
    this.count++;
  }

  /** Gives a slot back. */
  done(): void {
    this.count--;
    if (this.count === 0) for (const resolve of this.idle.splice(0)) resolve();
  }

  /** Resolves once nothing is in flight. */
  drained(): Promise<void> {
    return this.count === 0 ? Promise.resolve() : new Promise((resolve) => this.idle.push(resolve));
  }
}
