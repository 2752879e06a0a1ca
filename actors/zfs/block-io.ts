/**
 * The pool's blocks on its devices (ZFS's SPA and vdev I/O, cut down): a block written new gets its
 * space from the space map, its checksum, and its copies (ZFS's DVAs); a block read is verified and
 * healed through them (verified-read.ts); a block freed comes back to the space map only once the
 * transaction groups that may still need it are behind (ZFS's deferred frees).
 *
 * Copies. Every copy goes to every side of a mirror, at the same offset. A data block has one copy,
 * metadata (indirect blocks, dnodes, directories) two and the objset block three, at places apart,
 * so that one bad spot of a single device loses no metadata (ZFS's ditto blocks).
 *
 * Frees are deferred by `rewindTxgs`: a block freed by transaction group T is reused only once T +
 * `rewindTxgs` is committed, so the trees of the last few uberblocks stay whole and an import can
 * fall back to an older one when the newest does not verify.
 *
 * @example
 * ```ts
 * const io = new PoolBlockIo({ space, sides: [disk0.ref, disk1.ref], checksum: 'fletcher4' });
 * const pointer = await io.write(block, 'data', 0, 1, txg);
 * await io.read(pointer);                 // the same bytes, verified
 * io.free(pointer, txg + 1);
 * io.committed(txg + 1 + rewindTxgs);     // its space is free again
 * ```
 */
import { OspreyError } from '../../ground/errors.js';
import type { ActorRef } from '../runtime/ref.js';
import { type BlockPointer, type BlockType, copiesMax, type DataAddress } from './block-pointer.js';
import { blockChecksum, type ChecksumKind } from './checksum.js';
import type { PoolDeviceMsg } from './device-actor.js';
import { FormatError } from './format-errors.js';
import type { BlockIo } from './object-tree.js';
import type { SpaceMap } from './space-map.js';
import { type BlockCopy, readVerified, type ScrubbedBlock, scrubCopies, writeCopies } from './verified-read.js';

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
  /** The device actors of the pool's one top-level device: one, or a mirror's sides (undefined where a side is missing). */
  readonly sides: readonly (ActorRef<PoolDeviceMsg> | undefined)[];
  readonly checksum: ChecksumKind;
}

export class PoolBlockIo implements BlockIo {
  /** Repairs made by reads since the pool opened (copies rewritten with good data). */
  repaired = 0;
  private readonly space: SpaceMap;
  private readonly sides: readonly (ActorRef<PoolDeviceMsg> | undefined)[];
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
  private readonly present: readonly { readonly ref: ActorRef<PoolDeviceMsg>; readonly index: number }[];
  /** Sides a write failed on since the pool opened (see `staleSides`). */
  private readonly failedSides = new Set<number>();

  constructor(options: PoolBlockIoOptions) {
    this.space = options.space;
    this.sides = options.sides;
    this.checksum = options.checksum;
    this.cacheBytesMax = options.cacheBytes ?? cacheBytesDefault;
    if (!Number.isSafeInteger(this.cacheBytesMax) || this.cacheBytesMax < 0)
      throw new RangeError(`cacheBytes must be a non-negative integer, got ${options.cacheBytes}`);
    // The sides present, with their index among all: worked out once, for every block read and written.
    this.present = this.sides.flatMap((ref, index) => (ref === undefined ? [] : [{ ref, index }]));
    if (this.present.length === 0) throw new RangeError('a pool needs at least one device present');
  }

  async write(data: Uint8Array, type: BlockType, level: number, fill: number, txg: number): Promise<BlockPointer> {
    const unit = this.space.unitBytes;
    const allocatedBytes = Math.ceil(data.byteLength / unit) * unit;
    const padded = allocatedBytes === data.byteLength ? data : padTo(data, allocatedBytes);
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
      await this.writeEverywhere(addresses, padded);
    } catch (error) {
      // Nothing points at these yet: their space comes back at once.
      for (const address of addresses) this.space.free(address.offsetBytes, address.allocatedBytes);
      throw error;
    }
    const pointer: BlockPointer = {
      addresses,
      logicalBytes: data.byteLength,
      physicalBytes: allocatedBytes,
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
      const copies = pointer.addresses.flatMap((address) => this.copiesAt(address));
      const verified = await readVerified(copies, pointer.physicalBytes, pointer.checksumKind, pointer.checksum);
      this.repaired += verified.repaired;
      data = verified.data;
      this.remember(pointer, data);
    }
    return data.byteLength === pointer.logicalBytes ? data : data.subarray(0, pointer.logicalBytes);
  }

  /** Reads every copy of `pointer`'s block from the devices (never the cache), verifies each, and repairs the bad ones. */
  async scrub(pointer: BlockPointer): Promise<ScrubbedBlock> {
    const copies = pointer.addresses.flatMap((address) => this.copiesAt(address));
    const scrubbed = await scrubCopies(copies, pointer.physicalBytes, pointer.checksumKind, pointer.checksum);
    this.repaired += scrubbed.repaired;
    return scrubbed;
  }

  free(pointer: BlockPointer, txg: number): void {
    const list = this.deferred.get(txg);
    if (list === undefined) this.deferred.set(txg, [pointer]);
    else list.push(pointer);
  }

  /** Whether blocks freed lately wait for later commits before their space is free again. */
  get freesDeferred(): boolean {
    return this.deferred.size > 0;
  }

  /** Transaction group `txg` is committed: blocks freed `rewindTxgs` groups before it are free again. */
  committed(txg: number): void {
    for (const [freedIn, pointers] of this.deferred) {
      if (freedIn + rewindTxgs > txg) continue;
      for (const pointer of pointers) {
        for (const address of pointer.addresses) this.space.free(address.offsetBytes, address.allocatedBytes);
        this.forget(pointer);
      }
      this.deferred.delete(freedIn);
    }
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
    this.forget(pointer);
    this.cache.set(key, data);
    this.cachedBytes += data.byteLength;
    for (const [oldest, bytes] of this.cache) {
      if (this.cachedBytes <= this.cacheBytesMax) break;
      this.cache.delete(oldest);
      this.cachedBytes -= bytes.byteLength;
    }
  }

  private forget(pointer: BlockPointer): void {
    const key = cacheKey(pointer);
    const known = this.cache.get(key);
    if (known === undefined) return;
    this.cache.delete(key);
    this.cachedBytes -= known.byteLength;
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

  /**
   * Writes `data` to every side at every address. A mirror with a side gone or failing keeps going on
   * the others, as ZFS does (the side is resilvered when it comes back); an address that reached no
   * side fails the write with that side's error.
   */
  private async writeEverywhere(addresses: readonly DataAddress[], data: Uint8Array): Promise<void> {
    const sides = this.present;
    // The block is never changed once written (copy on write): the devices keep it, not a copy.
    const perAddress = await Promise.all(
      addresses.map((address) => Promise.allSettled(sides.map(({ ref }) => writeCopies([{ device: ref, offsetBytes: address.offsetBytes }], data, true)))),
    );
    for (const outcomes of perAddress) {
      for (const [index, outcome] of outcomes.entries()) if (outcome.status === 'rejected') this.failedSides.add(sides[index]!.index);
      if (!outcomes.some((outcome) => outcome.status === 'fulfilled')) throw (outcomes[0] as PromiseRejectedResult).reason;
    }
  }

  /**
   * The sides (by index) a write failed on since the pool opened: they lack blocks of the tree, so
   * no commit gives them an uberblock again until they are resilvered (ZFS keeps such a record, its
   * DTL, on disk; here it lasts until the pool closes, and an import reads the side's gaps as
   * checksum errors and heals them from the other sides).
   */
  get staleSides(): ReadonlySet<number> {
    return this.failedSides;
  }

  private copiesAt(address: DataAddress): BlockCopy[] {
    return this.present.map(({ ref }) => ({ device: ref, offsetBytes: address.offsetBytes }));
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

function padTo(data: Uint8Array, bytes: number): Uint8Array {
  const padded = new Uint8Array(bytes);
  padded.set(data);
  return padded;
}
