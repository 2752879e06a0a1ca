/**
 * A block device that is one file on a real disk: positional reads and writes, and a flush that is
 * `fdatasync`. Its size is fixed when it is created (a sparse file of that length) and checked when
 * it is opened again.
 *
 * @example
 * ```ts
 * const disk = await createFileDevice('pool/disk0', { sizeBytes: 64 << 20, create: true });
 * await disk.write(0, sector);
 * await disk.flush();
 * await disk.close();
 * const again = await createFileDevice('pool/disk0'); // its size is the file's
 * ```
 */
import { copyOfBytes } from '../../ground/bytes.js';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ClosedError } from '../../ground/errors.js';
import {
  type BlockDevice,
  type BlockDeviceOptions,
  checkDeviceSize,
  checkTransfer,
  deviceGeometry,
  InFlight,
  type SectorBytes,
  type WriteOptions,
} from './block-device.js';
import { BlockDeviceError, BlockIoError, type BlockIoReason } from './block-errors.js';
import { WriteBehind, writeBehindThreshold } from './write-behind.js';

export interface FileDeviceOptions extends BlockDeviceOptions {
  /** Create the file, which must not exist yet, with `sizeBytes` (default: open an existing one). */
  readonly create?: boolean;
  /** The size in bytes: required to create; when opening, the file must have it. */
  readonly sizeBytes?: number;
  /**
   * Bytes written after which a flush starts in the background, so that the disk writes back while
   * the pool still works (see write-behind.ts); default `writeBehindBytesDefault`, 0 for none.
   */
  readonly writeBehindBytes?: number;
}

/** Opens (or creates) the device file at `path`; rejects with BlockDeviceError for a file that is no such device. */
export async function createFileDevice(path: string, options: FileDeviceOptions = {}): Promise<BlockDevice> {
  const { sectorBytes, queueDepth } = deviceGeometry(options);
  const writeBehindBytes = writeBehindThreshold(options.writeBehindBytes);
  if (options.create === true) {
    if (options.sizeBytes === undefined) throw new RangeError(`${path}: a device is created with its sizeBytes`);
    checkDeviceSize(options.sizeBytes, sectorBytes);
    // `wx+`: never take over a file that is there, which may be another pool's device.
    const handle = await open(path, 'wx+');
    try {
      await handle.truncate(options.sizeBytes);
      await handle.datasync();
      // The file's name must survive a power loss too: its directory is made durable as well.
      const directory = await open(dirname(path), 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
    } catch (error) {
      await handle.close();
      // A half-made device is taken back, so that creating it again does not find it there.
      await rm(path, { force: true });
      throw error;
    }
    return new FileDevice(path, handle, options.sizeBytes, sectorBytes, queueDepth, writeBehindBytes);
  }
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    if (options.sizeBytes !== undefined && size !== options.sizeBytes)
      throw new BlockDeviceError(path, `is ${size} bytes, not the ${options.sizeBytes} asked for`);
    try {
      checkDeviceSize(size, sectorBytes);
    } catch (error) {
      throw new BlockDeviceError(path, `is ${size} bytes, no device of ${sectorBytes}-byte sectors: ${(error as Error).message}`);
    }
    return new FileDevice(path, handle, size, sectorBytes, queueDepth, writeBehindBytes);
  } catch (error) {
    await handle.close();
    throw error;
  }
}

class FileDevice implements BlockDevice {
  readonly kind = 'file';
  private readonly requests: InFlight;
  private readonly behind: WriteBehind;
  private closing: Promise<void> | null = null;

  constructor(
    readonly name: string,
    private readonly handle: FileHandle,
    readonly sizeBytes: number,
    readonly sectorBytes: SectorBytes,
    readonly queueDepth: number,
    writeBehindBytes: number,
  ) {
    this.requests = new InFlight(name, queueDepth);
    this.behind = new WriteBehind(() => handle.datasync(), writeBehindBytes);
  }

  get inFlight(): number {
    return this.requests.count;
  }

  read(offsetBytes: number, lengthBytes: number, into?: Uint8Array): Promise<Uint8Array> {
    if (into !== undefined && !(into instanceof Uint8Array && into.byteLength === lengthBytes))
      return Promise.reject(new TypeError(`${this.name}: a read of ${lengthBytes} bytes goes into a Uint8Array of that length`));
    return this.request('read', offsetBytes, lengthBytes, async () => {
      const data = into ?? new Uint8Array(lengthBytes);
      let done = 0;
      // A positional read may return fewer bytes than asked (a signal, a huge read): read on.
      while (done < lengthBytes) {
        const { bytesRead } = await this.handle.read(data, done, lengthBytes - done, offsetBytes + done);
        if (bytesRead === 0) throw new BlockIoError(this.name, 'read', 'gone', `the file ends at ${offsetBytes + done}: it was truncated`);
        done += bytesRead;
      }
      return data;
    });
  }

  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions): Promise<void> {
    if (!(data instanceof Uint8Array)) return Promise.reject(new TypeError(`${this.name}: a write takes a Uint8Array`));
    // The caller may reuse its buffer once the call returns: what is written is what it held then.
    const copy = options?.handOver === true ? data : copyOfBytes(data);
    return this.request('write', offsetBytes, copy.byteLength, async () => {
      await this.writeAll(copy, offsetBytes);
      this.behind.wrote(copy.byteLength);
    });
  }

  writev(offsetBytes: number, pieces: readonly Uint8Array[], options?: WriteOptions): Promise<void> {
    if (!pieces.every((piece) => piece instanceof Uint8Array)) return Promise.reject(new TypeError(`${this.name}: a writev takes Uint8Arrays`));
    const copies = options?.handOver === true ? pieces : pieces.map((piece) => copyOfBytes(piece));
    const lengthBytes = copies.reduce((sum, piece) => sum + piece.byteLength, 0);
    return this.request('write', offsetBytes, lengthBytes, async () => {
      const { bytesWritten } = await this.handle.writev(copies as Uint8Array[], offsetBytes);
      // A vectored write may take fewer bytes than asked: the rest goes piece by piece.
      let at = 0;
      for (const piece of copies) {
        const end = at + piece.byteLength;
        if (end > bytesWritten) await this.writeAll(piece.subarray(Math.max(0, bytesWritten - at)), offsetBytes + Math.max(at, bytesWritten));
        at = end;
      }
      this.behind.wrote(lengthBytes);
    });
  }

  /** Writes all of `data` at `offsetBytes`, on through short writes. */
  private async writeAll(data: Uint8Array, offsetBytes: number): Promise<void> {
    let done = 0;
    while (done < data.byteLength) {
      const { bytesWritten } = await this.handle.write(data, done, data.byteLength - done, offsetBytes + done);
      if (bytesWritten === 0) throw new BlockIoError(this.name, 'write', 'os', `the file took no bytes at ${offsetBytes + done}`);
      done += bytesWritten;
    }
  }

  flush(): Promise<void> {
    return this.request('flush', 0, 0, () => this.behind.flush());
  }

  close(): Promise<void> {
    this.closing ??= this.requests
      .drained()
      .then(() => this.behind.settled())
      .then(() => this.handle.close());
    return this.closing;
  }

  private async request<T>(op: 'read' | 'write' | 'flush', offsetBytes: number, lengthBytes: number, run: () => Promise<T>): Promise<T> {
    if (this.closing !== null) throw new ClosedError(`device ${this.name}`, op);
    if (op !== 'flush') checkTransfer(this, offsetBytes, lengthBytes);
    this.requests.admit();
    try {
      return await run();
    } catch (error) {
      if (error instanceof BlockIoError) throw error;
      throw new BlockIoError(this.name, op, reasonOf(error), (error as Error).message, { cause: error });
    } finally {
      this.requests.done();
    }
  }
}

/** What an operating-system error says of the device. */
function reasonOf(error: unknown): BlockIoReason {
  const code = (error as { code?: unknown }).code;
  if (code === 'EIO') return 'media';
  if (code === 'ENXIO' || code === 'ENODEV' || code === 'ENOENT' || code === 'ESTALE') return 'gone';
  return 'os';
}
