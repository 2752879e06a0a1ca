/**
 * A block device whose writes to the pool's data area, flushes, or writes to the labels can be made
 * to fail, over a simulated device: for the tests of what a pool does when one side of it fails.
 */
import { configBytes, configOffsetBytes, labelBytes, labelOffsets } from '../../../../actors/zfs/label.js';
import { type BlockDevice, BlockIoError, type MemoryDevice, type WriteOptions } from '../../../../drivers/block/index.js';

export class FailingDevice implements BlockDevice {
  failDataWrites = false;
  failFlush = false;
  failLabelWrites = false;
  /** Refuses writes to the configuration areas of the labels only (their uberblock rings still take writes). */
  failConfigWrites = false;
  constructor(readonly inner: MemoryDevice) {}
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
  read(offsetBytes: number, lengthBytes: number) {
    return this.inner.read(offsetBytes, lengthBytes);
  }
  write(offsetBytes: number, data: Uint8Array, options?: WriteOptions) {
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
    if (this.refuses(offsetBytes)) return Promise.reject(new BlockIoError(this.name, 'write', 'failed', 'injected'));
    return this.inner.writev(offsetBytes, pieces, options);
  }
  flush() {
    return this.failFlush ? Promise.reject(new BlockIoError(this.name, 'flush', 'failed', 'injected')) : this.inner.flush();
  }
  close() {
    return this.inner.close();
  }
}
