/**
 * One object's block tree, copied on write (ZFS's dnode with its dbufs, cut down). Data blocks of
 * `blockBytes` sit at level 0; indirect blocks of 128 pointers above them; the dnode points at the
 * top. Writes go to dirty copies of whole data blocks in memory. `sync` writes them as new blocks,
 * then every indirect block above a change as a new block, bottom up, and frees what they replace:
 * nothing is written in place, so the tree an older uberblock roots stays whole until its blocks
 * are freed (block-io.ts defers frees for that).
 *
 * The tree never loses levels (ZFS keeps them too); an indirect block whose pointers are all holes
 * is written as a hole. Indirect blocks read once are kept in memory.
 *
 * @example
 * ```ts
 * const tree = ObjectTree.create('file', 4096, txg);
 * await tree.write(io, 0, bytes);           // dirty in memory
 * await tree.sync(io, txg);                 // new blocks; tree.dnode() has the new root
 * (await tree.read(io, 0, bytes.length));   // the same bytes
 * ```
 */
import { assert } from '../../ground/assert.js';
import {
  type BlockPointer,
  type BlockType,
  blockPointerBytes,
  decodeBlockPointer,
  encodeBlockPointer,
  holePointer,
  isHole,
  levelMax,
} from './block-pointer.js';
import type { Dnode, ObjectType } from './dnode.js';
import { FormatError } from './format-errors.js';

/** What an object tree needs of the pool: blocks written new, read verified, and freed. */
export interface BlockIo {
  /** Writes `data` as a new block born in `txg` and returns its pointer. `data` is the block's from then on: it is not changed again. */
  write(data: Uint8Array, type: BlockType, level: number, fill: number, txg: number): Promise<BlockPointer>;
  /** Reads the block `pointer` points at (never a hole), verified against its checksum. */
  read(pointer: BlockPointer): Promise<Uint8Array>;
  /** `pointer`'s block is out of the tree written in `txg`: its space comes back once that is safe. */
  free(pointer: BlockPointer, txg: number): void;
  /** Memory for a block of `lengthBytes` about to be changed: `contents` (no longer) then zeros; the pool's is used memory (record-buffers.ts). */
  newBlock(lengthBytes: number, contents?: Uint8Array): Uint8Array;
}

/** Bytes of an indirect block, and the pointers it holds. */
export const indirectBytes = 16 << 10;
export const pointersPerIndirect = indirectBytes / blockPointerBytes;

/** An indirect block in memory: its level (1: it points at data), its index at that level, and its pointers. */
interface IndirectNode {
  readonly level: number;
  readonly index: number;
  readonly pointers: BlockPointer[];
  dirty: boolean;
}

export class ObjectTree {
  /** Data blocks written since the last sync, by index. */
  private readonly dirtyData = new Map<number, Uint8Array>();
  /**
   * The indirect blocks above the dirty data blocks (by `nodes` key), each with how many of them it
   * has: a sync writes each anew, so room for a change counts them (see `dirtyParentCount`).
   */
  private readonly dirtyParents = new Map<number, number>();
  /** For each dirty data block, the keys of `dirtyParents` it counts in. */
  private readonly dirtyAncestors = new Map<number, number[]>();
  /** Indirect blocks in memory, by `level * 2^40 + index`. */
  private readonly nodes = new Map<number, IndirectNode>();
  /** Blocks from this index on are to be freed at the next sync (a truncation), or null. */
  private freeFrom: number | null = null;
  /** Whether the dnode changed since the last sync (size, levels, root, or the object is new). */
  private dnodeDirty: boolean;

  private constructor(
    readonly type: ObjectType,
    readonly blockBytes: number,
    private sizeBytes: number,
    private levels: number,
    readonly birthTxg: number,
    private root: BlockPointer,
    dirty: boolean,
  ) {
    this.dnodeDirty = dirty;
  }

  /** A new, empty object of `type` with data blocks of `blockBytes`, born in `txg`. */
  static create(type: ObjectType, blockBytes: number, txg: number): ObjectTree {
    return new ObjectTree(type, blockBytes, 0, 0, txg, holePointer(), true);
  }

  /** The tree of an object as its dnode describes it. */
  static of(dnode: Dnode): ObjectTree {
    return new ObjectTree(dnode.type, dnode.blockBytes, dnode.sizeBytes, dnode.levels, dnode.birthTxg, dnode.root, false);
  }

  get size(): number {
    return this.sizeBytes;
  }

  /** Bytes of data blocks written since the last sync. */
  get dirtyBytes(): number {
    return this.dirtyData.size * this.blockBytes;
  }

  /**
   * The indirect blocks a sync will write anew above the dirty data blocks, at most: the distinct
   * ancestors of the dirty blocks at every level (a sparse write has a chain of its own), the root
   * of a tree that grows included. The one data block of a one-block object has none.
   */
  get dirtyParentCount(): number {
    return this.dirtyParents.size;
  }

  private markDirty(index: number, block: Uint8Array): void {
    if (!this.dirtyData.has(index)) {
      const keys = this.ancestorKeys(index);
      for (const key of keys) this.dirtyParents.set(key, (this.dirtyParents.get(key) ?? 0) + 1);
      this.dirtyAncestors.set(index, keys);
    }
    this.dirtyData.set(index, block);
  }

  private unmarkDirty(index: number): void {
    if (!this.dirtyData.delete(index)) return;
    // The keys counted when it was marked: the tree's levels may have changed since.
    for (const key of this.dirtyAncestors.get(index) ?? []) {
      const left = (this.dirtyParents.get(key) ?? 1) - 1;
      if (left === 0) this.dirtyParents.delete(key);
      else this.dirtyParents.set(key, left);
    }
    this.dirtyAncestors.delete(index);
  }

  /**
   * The indirect blocks above data block `index` (as `nodes` keys), in a tree tall enough to hold it;
   * and the blocks at index 0 of every level below the top, which a tree made taller writes anew over
   * what it held (see `growTo`). Where the tree holds nothing near index 0 those few are counted
   * though not written: room is kept, never short.
   */
  private ancestorKeys(index: number): number[] {
    const levels = Math.max(this.levels, levelsFor(index + 1));
    const keys: number[] = [];
    for (let level = 1, parent = index; level < levels; level++) {
      parent = Math.floor(parent / pointersPerIndirect);
      keys.push(nodeKey(level, parent));
    }
    for (let level = 1; level < levels - 1; level++) if (!keys.includes(nodeKey(level, 0))) keys.push(nodeKey(level, 0));
    return keys;
  }

  /** Whether `sync` has anything to write. */
  get dirty(): boolean {
    return this.dnodeDirty || this.dirtyData.size > 0 || this.freeFrom !== null || [...this.nodes.values()].some((node) => node.dirty);
  }

  /** The dnode as of the last sync (or creation). */
  dnode(): Dnode {
    return { type: this.type, blockBytes: this.blockBytes, sizeBytes: this.sizeBytes, levels: this.levels, birthTxg: this.birthTxg, root: this.root };
  }

  /**
   * Reads `lengthBytes` from `offsetBytes`, cut at the object's size; holes read as zeros. Into the
   * start of `into` when given (at least `lengthBytes` long; the caller's buffer, reused), else into
   * a new array; returns the bytes read.
   */
  async read(io: BlockIo, offsetBytes: number, lengthBytes: number, into?: Uint8Array): Promise<Uint8Array> {
    checkRange(offsetBytes, lengthBytes);
    if (into !== undefined && !(into instanceof Uint8Array && into.byteLength >= lengthBytes))
      throw new RangeError(`a read of ${lengthBytes} bytes needs a Uint8Array at least that long to read into`);
    const end = Math.min(this.sizeBytes, offsetBytes + lengthBytes);
    const length = Math.max(0, end - offsetBytes);
    const result = into === undefined ? new Uint8Array(length) : into.subarray(0, length);
    const pieces: { index: number; within: number; take: number; at: number }[] = [];
    for (let at = offsetBytes; at < end; ) {
      const index = Math.floor(at / this.blockBytes);
      const within = at - index * this.blockBytes;
      const take = Math.min(this.blockBytes - within, end - at);
      pieces.push({ index, within, take, at });
      at += take;
    }
    // The blocks are read side by side: a device (or a mirror's sides) works on several at once.
    await inLanes(pieces, ioLanes, async ({ index, within, take, at }) => {
      const block = await this.block(io, index);
      if (block !== null) result.set(block.subarray(within, within + take), at - offsetBytes);
      else if (into !== undefined) result.fill(0, at - offsetBytes, at - offsetBytes + take);
    });
    return result;
  }

  /** Writes `data` at `offsetBytes` (in memory until `sync`); the object grows to cover it. */
  async write(io: BlockIo, offsetBytes: number, data: Uint8Array): Promise<void> {
    checkRange(offsetBytes, data.byteLength);
    const end = offsetBytes + data.byteLength;
    for (let at = offsetBytes; at < end; ) {
      const index = Math.floor(at / this.blockBytes);
      const within = at - index * this.blockBytes;
      const take = Math.min(this.blockBytes - within, end - at);
      let block = this.dirtyData.get(index);
      if (block === undefined) {
        if (take === this.blockBytes) {
          // A whole block overwritten needs no read of what it held.
          this.markDirty(index, io.newBlock(this.blockBytes, data.subarray(at - offsetBytes, at - offsetBytes + take)));
          at += take;
          continue;
        }
        block = io.newBlock(this.blockBytes, (await this.block(io, index)) ?? undefined);
        this.markDirty(index, block);
      }
      block.set(data.subarray(at - offsetBytes, at - offsetBytes + take), within);
      at += take;
    }
    if (end > this.sizeBytes) {
      this.sizeBytes = end;
      this.dnodeDirty = true;
    }
  }

  /** Cuts the object to `sizeBytes` (or extends it with zeros); the blocks past it are freed at `sync`. */
  async truncate(io: BlockIo, sizeBytes: number): Promise<void> {
    checkRange(sizeBytes, 0);
    if (sizeBytes < this.sizeBytes) {
      const keep = Math.ceil(sizeBytes / this.blockBytes);
      for (const index of [...this.dirtyData.keys()]) if (index >= keep) this.unmarkDirty(index);
      this.freeFrom = Math.min(this.freeFrom ?? keep, keep);
      // The tail of the last block kept reads as zeros if the object grows again.
      const tail = sizeBytes % this.blockBytes;
      if (tail !== 0) {
        const index = keep - 1;
        // A block read is shared with the cache: it is changed in a copy.
        const dirty = this.dirtyData.get(index);
        const stored = dirty === undefined ? await this.block(io, index) : null;
        const block = dirty ?? (stored === null ? null : io.newBlock(this.blockBytes, stored));
        if (block !== null) {
          block.fill(0, tail);
          this.markDirty(index, block);
        }
      }
    }
    if (sizeBytes !== this.sizeBytes) {
      this.sizeBytes = sizeBytes;
      this.dnodeDirty = true;
    }
  }

  /**
   * Writes what changed as new blocks born in `txg`, bottom up, freeing the blocks they replace.
   * Returns whether the dnode changed (and must be written into its object set).
   */
  async sync(io: BlockIo, txg: number): Promise<boolean> {
    const blocks = Math.ceil(this.sizeBytes / this.blockBytes);
    // A write grows the object to cover it, and a truncation drops the dirty blocks past its end.
    this.growTo(levelsFor(blocks));
    if (this.freeFrom !== null) {
      await this.freeBlocksFrom(io, this.freeFrom, txg);
      this.freeFrom = null;
    }
    const dataType: BlockType = this.type === 'file' ? 'data' : this.type === 'directory' ? 'directory' : 'object';
    // The data blocks are written side by side (their space is taken in index order, as each write
    // starts), then hung into the tree in order.
    const indexes = [...this.dirtyData.keys()].sort((a, b) => a - b);
    const written = new Map<number, BlockPointer>();
    await inLanes(indexes, syncLanes, async (index) => {
      written.set(index, await io.write(this.dirtyData.get(index)!, dataType, 0, 1, txg));
    });
    for (const index of indexes) await this.replace(io, 0, index, written.get(index)!, txg);
    this.dirtyData.clear();
    this.dirtyParents.clear();
    this.dirtyAncestors.clear();
    for (let level = 1; level < this.levels; level++) {
      for (const node of [...this.nodes.values()].filter((each) => each.level === level && each.dirty)) {
        const fill = node.pointers.reduce((sum, pointer) => sum + pointer.fill, 0);
        const pointer = fill === 0 ? holePointer() : await io.write(encodePointers(node.pointers), 'indirect', level, fill, txg);
        node.dirty = false;
        await this.replace(io, level, node.index, pointer, txg);
      }
    }
    const changed = this.dnodeDirty;
    this.dnodeDirty = false;
    return changed;
  }

  /** Every block pointer of the tree that is not a hole, parents before children (an import's walk). */
  async *pointers(io: BlockIo): AsyncGenerator<BlockPointer> {
    if (isHole(this.root)) return;
    yield this.root;
    if (this.levels >= 2) yield* this.pointersBelow(io, this.levels - 1, 0);
  }

  private async *pointersBelow(io: BlockIo, level: number, index: number): AsyncGenerator<BlockPointer> {
    const node = await this.node(io, level, index);
    for (const [slot, pointer] of node.pointers.entries()) {
      if (isHole(pointer)) continue;
      yield pointer;
      if (level > 1) yield* this.pointersBelow(io, level - 1, index * pointersPerIndirect + slot);
    }
  }

  /** Data block `index` as stored (dirty or on the pool), or null for a hole. */
  private async block(io: BlockIo, index: number): Promise<Uint8Array | null> {
    const dirty = this.dirtyData.get(index);
    if (dirty !== undefined) return dirty;
    // Cut off by a truncation not yet synced: what the pool still holds there is gone.
    if (this.freeFrom !== null && index >= this.freeFrom) return null;
    const pointer = await this.pointerAt(io, 0, index);
    return isHole(pointer) ? null : io.read(pointer);
  }

  /** The pointer to the block at `level` and `index` (a hole where the tree has none). */
  private async pointerAt(io: BlockIo, level: number, index: number): Promise<BlockPointer> {
    if (level >= this.levels) return holePointer();
    if (level === this.levels - 1) return index === 0 ? this.root : holePointer();
    const parentIndex = Math.floor(index / pointersPerIndirect);
    if (parentIndex >= spanAt(this.levels - 1 - (level + 1))) return holePointer();
    const parent = await this.node(io, level + 1, parentIndex);
    return parent.pointers[index % pointersPerIndirect]!;
  }

  /** The indirect block at `level` ≥ 1 and `index`, read (and kept) on first use. */
  private async node(io: BlockIo, level: number, index: number): Promise<IndirectNode> {
    const key = nodeKey(level, index);
    const known = this.nodes.get(key);
    if (known !== undefined) return known;
    const pointer = await this.pointerAt(io, level, index);
    const pointers = isHole(pointer) ? holes() : decodePointers(await io.read(pointer), level);
    // Another read of the same node may have finished first: keep that one, which may be dirty.
    const raced = this.nodes.get(key);
    if (raced !== undefined) return raced;
    const node = { level, index, pointers, dirty: false };
    this.nodes.set(key, node);
    return node;
  }

  /** Puts `pointer` where the block at `level`/`index` was pointed at, freeing what was there. */
  private async replace(io: BlockIo, level: number, index: number, pointer: BlockPointer, txg: number): Promise<void> {
    if (level === this.levels - 1) {
      assert(index === 0, 'the root is index 0 of the top level');
      if (!isHole(this.root)) io.free(this.root, txg);
      this.root = pointer;
      this.dnodeDirty = true;
      return;
    }
    const parent = await this.node(io, level + 1, Math.floor(index / pointersPerIndirect));
    const slot = index % pointersPerIndirect;
    const old = parent.pointers[slot]!;
    if (!isHole(old)) io.free(old, txg);
    parent.pointers[slot] = pointer;
    parent.dirty = true;
  }

  /** Adds levels on top until the tree has `levels`: the old top becomes the first child of the new. */
  private growTo(levels: number): void {
    if (levels <= this.levels) return;
    if (levels > levelMax + 1) throw new RangeError(`an object of ${levels} levels is larger than ${levelMax + 1} levels hold`);
    for (let level = Math.max(this.levels, 1); level < levels; level++) {
      // The new top, at `level`, holds the old top (level − 1) in its first slot.
      const pointers = holes();
      pointers[0] = this.levels === 0 ? holePointer() : this.root;
      this.nodes.set(nodeKey(level, 0), { level, index: 0, pointers, dirty: true });
      this.root = holePointer();
      this.levels = level;
    }
    this.levels = levels;
    this.dnodeDirty = true;
  }

  /** Frees every data block from `first` on, and the indirect blocks left with nothing below them. */
  private async freeBlocksFrom(io: BlockIo, first: number, txg: number): Promise<void> {
    if (this.levels === 0) return;
    if (this.levels === 1) {
      if (first === 0 && !isHole(this.root)) {
        io.free(this.root, txg);
        this.root = holePointer();
        this.dnodeDirty = true;
      }
      return;
    }
    await this.freeBelow(io, this.levels - 1, 0, first, txg);
  }

  /** Frees the data blocks from `first` on under the indirect block at `level`/`index`. */
  private async freeBelow(io: BlockIo, level: number, index: number, first: number, txg: number): Promise<void> {
    const node = await this.node(io, level, index);
    const childSpan = spanAt(level - 1);
    for (let slot = 0; slot < pointersPerIndirect; slot++) {
      const childIndex = index * pointersPerIndirect + slot;
      const childStart = childIndex * childSpan;
      if (childStart + childSpan <= first) continue;
      const pointer = node.pointers[slot]!;
      if (level > 1 && (childStart < first || this.nodes.has(nodeKey(level - 1, childIndex)))) {
        // Partly kept, or in memory (maybe dirty): go down; an emptied node is written as a hole.
        await this.freeBelow(io, level - 1, childIndex, first, txg);
        continue;
      }
      if (isHole(pointer)) continue;
      if (level > 1) await this.freeSubtree(io, level - 1, childIndex, txg);
      io.free(pointer, txg);
      node.pointers[slot] = holePointer();
      node.dirty = true;
    }
  }

  /** Frees every block under the indirect block at `level`/`index` (not the block itself). */
  private async freeSubtree(io: BlockIo, level: number, index: number, txg: number): Promise<void> {
    const node = await this.node(io, level, index);
    for (const [slot, pointer] of node.pointers.entries()) {
      if (isHole(pointer)) continue;
      if (level > 1) await this.freeSubtree(io, level - 1, index * pointersPerIndirect + slot, txg);
      io.free(pointer, txg);
    }
    this.nodes.delete(nodeKey(level, index));
  }
}

/** Block reads one call has in flight at most: enough to keep a device busy, well within its queue. */
const ioLanes = 16;
/**
 * Block writes a sync has in flight at most: more than reads, so that the device actors find runs
 * of neighbouring blocks to join into one write (device-actor.ts), and still far within the requests
 * a device actor holds (`waitingRequestsMax`), with every copy of each block.
 */
const syncLanes = 128;

/** Runs `work` on each of `items`, at most `lanes` at a time, starting them in order. */
async function inLanes<T>(items: readonly T[], lanes: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

/** Data blocks one pointer at `level` covers: 1 at level 0, 128 at level 1, ... */
function spanAt(level: number): number {
  return pointersPerIndirect ** level;
}

/** Levels a tree of `blocks` data blocks needs: 0 for none, 1 for one, then one per 128×. */
export function levelsFor(blocks: number): number {
  if (blocks <= 0) return 0;
  let levels = 1;
  while (spanAt(levels - 1) < blocks) levels++;
  return levels;
}

function nodeKey(level: number, index: number): number {
  return level * 2 ** 40 + index;
}

function holes(): BlockPointer[] {
  return Array.from({ length: pointersPerIndirect }, holePointer);
}

function encodePointers(pointers: readonly BlockPointer[]): Uint8Array {
  const bytes = new Uint8Array(indirectBytes);
  for (const [slot, pointer] of pointers.entries()) bytes.set(encodeBlockPointer(pointer), slot * blockPointerBytes);
  return bytes;
}

/** The pointers of an indirect block at `level`; each must point one level down. */
function decodePointers(bytes: Uint8Array, level: number): BlockPointer[] {
  const pointers: BlockPointer[] = [];
  for (let slot = 0; slot < pointersPerIndirect; slot++) {
    const pointer = decodeBlockPointer(bytes, slot * blockPointerBytes);
    if (!isHole(pointer) && pointer.level !== level - 1) throw new FormatError('indirect block', `one of level ${level} points at level ${pointer.level}`);
    pointers.push(pointer);
  }
  return pointers;
}

function checkRange(offsetBytes: number, lengthBytes: number): void {
  if (
    !Number.isSafeInteger(offsetBytes) ||
    offsetBytes < 0 ||
    !Number.isSafeInteger(lengthBytes) ||
    lengthBytes < 0 ||
    offsetBytes + lengthBytes > Number.MAX_SAFE_INTEGER
  )
    throw new RangeError(`offset ${offsetBytes} and length ${lengthBytes} must be non-negative safe integers`);
}
