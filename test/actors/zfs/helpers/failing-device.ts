/**
 * A block device whose writes to the pool's data area, flushes, or writes to the labels can be made
 * to fail, and whose flushes can be held, over a simulated device: for the tests of what a pool does
 * when one side of it fails, or while a flush is under way.
 */
import { configBytes, configOffsetBytes, labelBytes, labelOffsets } from '../../../../actors/zfs/label.js';
import { type BlockDevice, BlockIoError, type MemoryDevice, type WriteOptions } from '../../../../drivers/block/index.js';

export class FailingDevice implements BlockDevice {
  failDataWrites = false;
  failFlush = false;
  failLabelWrites = false;
  /** Refuses writes to the configuration areas of the labels only (their uberblock rings still take writes). */
  failConfigWrites = false;
  /** Flushes wait for it while it is set (see `holdFlushes`). */
  private flushesHeld: Promise<void> | null = null;
  constructor(readonly inner: MemoryDevice) {}
  /** Holds every flush from now on until the function returned is called. */
  holdFlushes(): () => void {
    let release!: () => void;
    this.flushesHeld = new Promise((resolve) => {
      release = resolve;
    });
    return () => {
      this.flushesHeld = null;
      release();
    };
  }
  get kind() {
    return this.inner.kind;
  }
  get name() {
    return this.inner.name;
  }
  get sizeBytes() {
    return this.inner.sizeBytes;
  }
  get sectorBytes() {
    return this.inner.sectorBytes;
  }
  get queueDepth() {
    return this.inner.queueDepth;
  }
  get inFlight() {
    return this.inner.inFlight;
  }
  read(offsetBytes: number, lengthBytes: number, into?: Uint8Array) {
    return this.inner.read(offsetBytes, lengthBytes, into);
  }
  /** Writes and vectored writes asked of it. */
  writes = 0;
  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions) {
    this.writes++;
    if (this.refuses(offsetBytes)) return Promise.reject(new BlockIoError(this.name, 'write', 'failed', 'injected'));
    return this.inner.write(offsetBytes, data, options);
  }
  private refuses(offsetBytes: number): boolean {
    const inData = offsetBytes >= 2 * labelBytes && offsetBytes < labelOffsets(this.sizeBytes)[2];
    const inConfig = labelOffsets(this.sizeBytes).some(
      (label) => offsetBytes >= label + configOffsetBytes && offsetBytes < label + configOffsetBytes + configBytes,
    );
    return (inData && this.failDataWrites) || (!inData && this.failLabelWrites) || (inConfig && this.failConfigWrites);
  }
  writev(offsetBytes: number, pieces: readonly Uint8Array[], options?: WriteOptions) {
    this.writes++;
    if (this.refuses(offsetBytes)) return Promise.reject(new BlockIoError(this.name, 'write', 'failed', 'injected'));
    return this.inner.writev(offsetBytes, pieces, options);
  }
  async flush() {
    await this.flushesHeld;
    if (this.failFlush) throw new BlockIoError(this.name, 'flush', 'failed', 'injected');
    return this.inner.flush();
  }
  close() {
    return this.inner.close();
  }
}
