/**
 * The pool's blocks on its devices (ZFS's SPA and vdev I/O, cut down): a block written new gets its
 * space from the space map, its checksum, and its copies (ZFS's DVAs); a block read is verified and
 * healed through them (verified-read.ts); a block freed comes back to the space map only once the
 * transaction groups that may still need it are behind (ZFS's deferred frees).
 *
 * Copies. A data block has one copy, metadata (indirect blocks, dnodes, directories) two and the
 * objset block three, at places apart, so that one bad spot of a single device loses no metadata
 * (ZFS's ditto blocks). How each copy lies on the devices (whole on every side of a mirror, in
 * columns with parity on RAID-Z) is the top-level device's business (top-vdev.ts).
 *
 * Frees are deferred by `rewindTxgs`: a block freed by transaction group T is reused only once T +
 * `rewindTxgs` is committed, so the trees of the last few uberblocks stay whole and an import can
 * fall back to an older one when the newest does not verify.
 *
 * @example
 * ```ts
 * const io = new PoolBlockIo({ space, vdev: topVdevOf('mirror', [disk0.ref, disk1.ref], area), checksum: 'fletcher4' });
 * const pointer = await io.write(block, 'data', 0, 1, txg);
 * await io.read(pointer);                 // the same bytes, verified
 * io.free(pointer, txg + 1);
 * io.committed(txg + 1 + rewindTxgs);     // its space is free again
 * ```
 */
import { RecordBuffers } from './record-buffers.js';
import { zeroPadded } from '../../ground/bytes.js';
import { OspreyError } from '../../ground/errors.js';
import { type BlockPointer, type BlockType, copiesMax, type DataAddress } from './block-pointer.js';
import { blockChecksum, type ChecksumKind } from './checksum.js';
import { FormatError } from './format-errors.js';
import type { BlockIo } from './object-tree.js';
import type { SpaceMap } from './space-map.js';
import type { TopVdev, VdevChild } from './top-vdev.js';
import type { ScrubbedBlock } from './verified-read.js';

/** Transaction groups a freed block waits before its space is reused (ZFS's TXG_DEFER_SIZE). */
export const rewindTxgs = 2;

/** The pool has no room for a block. */
export class PoolFullError extends OspreyError {
  readonly code = 'pool-full';
  constructor(bytes: number, freeBytes: number) {
    super(`no room for a block of ${bytes} bytes (${freeBytes} bytes free, in pieces)`);
  }
}

export interface PoolBlockIoOptions {
  readonly space: SpaceMap;
  /** Bytes of verified blocks kept in memory (ZFS's ARC); default `cacheBytesDefault`, 0 for none. */
  readonly cacheBytes?: number;
  /** The pool's one top-level device: its space map covers the device's address space. */
  readonly vdev: TopVdev;
  readonly checksum: ChecksumKind;
  /** Where new blocks take their memory, and where the cache gives back what it lets go of (record-buffers.ts); default: new memory each time. */
  readonly memory?: RecordBuffers;
}

export class PoolBlockIo implements BlockIo {
  /** Repairs made by reads since the pool opened (copies rewritten with good data). */
  repaired = 0;
  private readonly space: SpaceMap;
  private readonly vdev: TopVdev;
  private readonly checksum: ChecksumKind;
  /** Blocks freed, by the transaction group that freed them. */
  private readonly deferred = new Map<number, BlockPointer[]>();
  /**
   * Verified blocks, least recently used first, by where their first copy lies and when it was born
   * (`cacheKey`): a place is reused only by a block born later (frees are deferred), so the key never
   * names another block's bytes. A block written is kept too, as ZFS's ARC keeps it.
   */
  private readonly cache = new Map<string, Uint8Array>();
  private cachedBytes = 0;
  private readonly cacheBytesMax: number;
  private readonly buffers: RecordBuffers;

  constructor(options: PoolBlockIoOptions) {
    this.space = options.space;
    this.vdev = options.vdev;
    this.checksum = options.checksum;
    this.cacheBytesMax = options.cacheBytes ?? cacheBytesDefault;
    this.buffers = options.memory ?? new RecordBuffers(0);
    if (!Number.isSafeInteger(this.cacheBytesMax) || this.cacheBytesMax < 0)
      throw new RangeError(`cacheBytes must be a non-negative integer, got ${options.cacheBytes}`);
    if (this.space.startBytes !== this.vdev.startBytes || this.space.endBytes !== this.vdev.endBytes || this.space.unitBytes !== this.vdev.sectorBytes)
      throw new RangeError('the space map must cover the top-level device’s address space, in its sectors');
  }

  async write(data: Uint8Array, type: BlockType, level: number, fill: number, txg: number): Promise<BlockPointer> {
    const unit = this.space.unitBytes;
    const physicalBytes = Math.ceil(data.byteLength / unit) * unit;
    const allocatedBytes = this.vdev.allocatedBytesOf(physicalBytes);
    const padded = zeroPadded(data, physicalBytes);
    const addresses: DataAddress[] = [];
    try {
      for (let copy = 0; copy < copiesOf(type, level); copy++) {
        // Each copy searches from its own part of the space, so the copies of a block lie apart.
        const area = this.space.endBytes - this.space.startBytes;
        const from = copy === 0 ? undefined : this.space.startBytes + Math.floor((area * copy) / copiesMax / unit) * unit;
        const offsetBytes = this.space.allocate(allocatedBytes, from);
        if (offsetBytes < 0) throw new PoolFullError(allocatedBytes, this.space.freeBytes);
        addresses.push({ device: 0, offsetBytes, allocatedBytes });
      }
      await this.vdev.write(addresses, padded);
    } catch (error) {
      // Nothing points at these yet: their space comes back at once.
      for (const address of addresses) this.space.free(address.offsetBytes, address.allocatedBytes);
      throw error;
    }
    const pointer: BlockPointer = {
      addresses,
      logicalBytes: data.byteLength,
      physicalBytes,
      checksumKind: this.checksum,
      type,
      level,
      birthTxg: txg,
      fill,
      checksum: blockChecksum(this.checksum, padded),
    };
    this.remember(pointer, padded);
    return pointer;
  }

  /**
   * The block `pointer` points at, verified: from memory if it was read or written lately, else
   * through its copies, healing those that do not verify. Callers must not change what it returns.
   */
  async read(pointer: BlockPointer): Promise<Uint8Array> {
    const key = cacheKey(pointer);
    let data = this.cache.get(key);
    if (data !== undefined) {
      // The most recently used goes last.
      this.cache.delete(key);
      this.cache.set(key, data);
    } else {
      const verified = await this.vdev.read(pointer.addresses, pointer.physicalBytes, pointer.checksumKind, pointer.checksum);
      this.repaired += verified.repaired;
      data = verified.data;
      this.remember(pointer, data);
    }
    return data.byteLength === pointer.logicalBytes ? data : data.subarray(0, pointer.logicalBytes);
  }

  /** Reads every copy of `pointer`'s block from the devices (never the cache), verifies each, and repairs the bad ones. */
  async scrub(pointer: BlockPointer): Promise<ScrubbedBlock> {
    const scrubbed = await this.vdev.scrub(pointer.addresses, pointer.physicalBytes, pointer.checksumKind, pointer.checksum);
    this.repaired += scrubbed.repaired;
    return scrubbed;
  }

  /** Writes child `child`'s part of `pointer`'s block to `target` (see `TopVdev.resilver`); returns the bytes written. */
  resilver(pointer: BlockPointer, child: number, target: NonNullable<VdevChild>): Promise<number> {
    return this.vdev.resilver(pointer.addresses, pointer.physicalBytes, pointer.checksumKind, pointer.checksum, child, target);
  }

  free(pointer: BlockPointer, txg: number): void {
    // Out of the tree, its bytes are read no more (ZFS's arc_freed): its memory may hold new changes.
    this.forget(pointer);
    const list = this.deferred.get(txg);
    if (list === undefined) this.deferred.set(txg, [pointer]);
    else list.push(pointer);
  }

  /** Whether blocks freed lately wait for later commits before their space is free again. */
  get freesDeferred(): boolean {
    return this.deferred.size > 0;
  }

  newBlock(lengthBytes: number, contents?: Uint8Array): Uint8Array {
    return this.buffers.take(lengthBytes, contents);
  }

  /**
   * Transaction group `txg` is committed: blocks freed `rewindTxgs` groups before it are free again,
   * and the memory of blocks the cache let go of may hold new changes (no operation reads it now).
   */
  committed(txg: number): void {
    for (const [freedIn, pointers] of this.deferred) {
      if (freedIn + rewindTxgs > txg) continue;
      for (const pointer of pointers) for (const address of pointer.addresses) this.space.free(address.offsetBytes, address.allocatedBytes);
      this.deferred.delete(freedIn);
    }
    this.buffers.recycle();
  }

  /** Marks `pointer`'s space in use (a block an import found in the tree); throws FormatError for space claimed twice. */
  claim(pointer: BlockPointer): void {
    for (const address of pointer.addresses) {
      if (address.device !== 0) throw new FormatError('block pointer', `a copy on top-level device ${address.device}; this pool has one`);
      if (!this.space.claim(address.offsetBytes, address.allocatedBytes))
        throw new FormatError('block pointer', `[${address.offsetBytes}, +${address.allocatedBytes}) is outside the data area or used by another block`);
    }
  }

  /** Keeps `data`, verified, for later reads of `pointer`, dropping the least recently used past the bound. */
  private remember(pointer: BlockPointer, data: Uint8Array): void {
    if (data.byteLength > this.cacheBytesMax) return;
    const key = cacheKey(pointer);
    this.forget(pointer, data);
    this.cache.set(key, data);
    this.cachedBytes += data.byteLength;
    for (const [oldest, bytes] of this.cache) {
      if (this.cachedBytes <= this.cacheBytesMax) break;
      this.cache.delete(oldest);
      this.cachedBytes -= bytes.byteLength;
      this.buffers.release(bytes);
    }
  }

  /** Drops `pointer`'s block from the cache; its memory may be used again unless it is `kept` (cached anew). */
  private forget(pointer: BlockPointer, kept?: Uint8Array): void {
    const key = cacheKey(pointer);
    const known = this.cache.get(key);
    if (known === undefined) return;
    this.cache.delete(key);
    this.cachedBytes -= known.byteLength;
    if (known !== kept) this.buffers.release(known);
  }

  /**
   * Claims `pointer`'s space for an older tree an import found (one it may have to fall back on), as
   * if the block had been freed in `txg`: it stays untouched until `txg + rewindTxgs` is committed. A
   * block the newer tree holds too is left alone.
   */
  claimDeferred(pointer: BlockPointer, txg: number): void {
    if (!pointer.addresses.every((address) => address.device === 0 && this.space.isFree(address.offsetBytes, address.allocatedBytes))) return;
    for (const address of pointer.addresses) this.space.claim(address.offsetBytes, address.allocatedBytes);
    this.free(pointer, txg);
  }

  /** The children a write failed on since the pool opened (see `TopVdev.staleChildren`). */
  get staleSides(): ReadonlySet<number> {
    return this.vdev.staleChildren;
  }
}

/** Bytes of verified blocks a pool keeps in memory by default. */
export const cacheBytesDefault = 64 << 20;

function cacheKey(pointer: BlockPointer): string {
  return `${pointer.addresses[0]!.offsetBytes}@${pointer.birthTxg}`;
}

/** Copies of a block of `type` at `level`: one for data, two for metadata, three for the objset block. */
export function copiesOf(type: BlockType, level: number): number {
  if (type === 'objset') return 3;
  return type === 'data' && level === 0 ? 1 : 2;
}
