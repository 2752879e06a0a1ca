/**
 * An object set (ZFS's objset): numbered objects, each an `ObjectTree`, whose dnodes are the data of
 * object 0. The set is rooted in one small block, the objset block, which holds object 0's dnode;
 * the uberblock points at it. `sync` writes the changed objects, then their dnodes into object 0,
 * then object 0, then a new objset block: the whole set copied on write, bottom up.
 *
 * Objects are numbered from 1; a removed object's number is reused once its removal is synced.
 * Operations are not re-entrant: the pool runs them one at a time (pool.ts).
 *
 * @example
 * ```ts
 * const set = ObjectSet.empty(txg);
 * const file = await set.create('file', 4096, txg);
 * await set.write(io, file, 0, bytes);
 * const root = await set.sync(io, txg); // the pointer an uberblock roots
 * const again = await ObjectSet.load(io, root);
 * ```
 */
import { type BlockPointer, holePointer, isHole } from './block-pointer.js';
import { blockBytesMax } from './block-pointer.js';
import { decodeDnode, type Dnode, dnodeBytes, encodeDnode, freeDnode, type ObjectType } from './dnode.js';
import { FormatError } from './format-errors.js';
import { type BlockIo, ObjectTree } from './object-tree.js';
import { OspreyError } from '../../ground/errors.js';
import { readScanRecord, type ScrubResult, scanRecordOffset, writeScanRecord } from './scan-record.js';

/** Data blocks of object 0: 64 dnodes each. */
export const dnodeBlockBytes = 16 << 10;
/** Bytes of the objset block (a whole number of sectors of 512 or 4096 bytes). */
export const objsetBlockBytes = 4096;
const objsetMagic = 0x0b5e7001;
const objsetVersion = 1;
const metaDnodeOffset = 64;
/** Object numbers go up to this, exclusive. */
export const objectIdEnd = 2 ** 32;

/** An object number that names no object of the set. */
export class NoSuchObjectError extends OspreyError {
  readonly code = 'no-such-object';
  constructor(readonly objectId: number) {
    super(`object ${objectId} does not exist`);
  }
}

export class ObjectSet {
  /** The objects read or changed since load, by number. */
  private readonly trees = new Map<number, ObjectTree>();
  /** Objects removed since the last sync. */
  private readonly removed = new Set<number>();
  /** Bytes of data blocks changed since the last sync, over every object. */
  private changedBytes = 0;
  /** Indirect blocks of level 1 above them, which the sync writes anew (see `ObjectTree.dirtyParentCount`). */
  private changedParents = 0;
  /** The pool's last scan, kept in the objset block (scan-record.ts); changed since the last sync. */
  private scan: ScrubResult | null = null;
  private scanChanged = false;

  private constructor(
    private readonly meta: ObjectTree,
    /** Free object numbers below `nextId`, smallest last. */
    private readonly freeIds: number[],
    private nextId: number,
    private root: BlockPointer,
  ) {}

  /** A set with no objects, born in `txg` (written at its first sync). */
  static empty(txg: number): ObjectSet {
    return new ObjectSet(ObjectTree.create('dnodes', dnodeBlockBytes, txg), [], 1, holePointer());
  }

  /** The set the objset block at `root` roots; throws FormatError or the read's error if it does not verify. */
  static async load(io: BlockIo, root: BlockPointer): Promise<ObjectSet> {
    if (isHole(root) || root.type !== 'objset')
      throw new FormatError('object set', `the root is a ${isHole(root) ? 'hole' : `${root.type} block`}, not an objset block`);
    const block = await io.read(root);
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    if (block.byteLength !== objsetBlockBytes || view.getUint32(0, true) !== objsetMagic) throw new FormatError('object set', 'no objset magic');
    if (view.getUint32(4, true) !== objsetVersion) throw new FormatError('object set', `version ${view.getUint32(4, true)}, which this code does not read`);
    const metaDnode = decodeDnode(block, metaDnodeOffset);
    if (metaDnode.type !== 'dnodes' || metaDnode.blockBytes !== dnodeBlockBytes) throw new FormatError('object set', 'object 0 is not a dnode array');
    const meta = ObjectTree.of(metaDnode);
    const scan = readScanRecord(view, scanRecordOffset);
    // Which numbers are free: every dnode is read once (the import walks them all anyway).
    const count = Math.floor(meta.size / dnodeBytes);
    const freeIds: number[] = [];
    for (let first = 1; first < count; first += dnodeBlockBytes / dnodeBytes) {
      const last = Math.min(count, first + dnodeBlockBytes / dnodeBytes);
      const bytes = await meta.read(io, first * dnodeBytes, (last - first) * dnodeBytes);
      for (let id = first; id < last; id++) if (decodeDnode(bytes, (id - first) * dnodeBytes).type === 'free') freeIds.push(id);
    }
    const set = new ObjectSet(meta, freeIds.reverse(), Math.max(count, 1), root);
    set.scan = scan;
    return set;
  }

  /** The pool's last scan (a scrub or a resilver) as of its last change, null if it never had one. */
  get lastScan(): ScrubResult | null {
    return this.scan;
  }

  /** Records the pool's last scan: written with the objset block at the next sync. */
  recordScan(result: ScrubResult): void {
    this.scan = result;
    this.scanChanged = true;
  }

  /** The objset block as of the last sync (a hole before the first). */
  get rootPointer(): BlockPointer {
    return this.root;
  }

  /** Bytes of data blocks changed since the last sync: what a commit will write, about. */
  get dirtyBytes(): number {
    return this.changedBytes;
  }

  /** Indirect blocks of level 1 the next sync writes above the changed data blocks, at most. */
  get dirtyParentCount(): number {
    return this.changedParents;
  }

  /** Whether `sync` has anything to write. */
  get dirty(): boolean {
    return isHole(this.root) || this.scanChanged || this.removed.size > 0 || this.meta.dirty || [...this.trees.values()].some((tree) => tree.dirty);
  }

  /** Creates an object of `type` with data blocks of `blockBytes` (a power of two); returns its number. */
  create(type: Exclude<ObjectType, 'free' | 'dnodes'>, blockBytes: number, txg: number): number {
    if (!Number.isInteger(blockBytes) || blockBytes < 512 || blockBytes > blockBytesMax || (blockBytes & (blockBytes - 1)) !== 0)
      throw new RangeError(`a block size is a power of two in [512, ${blockBytesMax}], got ${blockBytes}`);
    const id = this.freeIds.pop() ?? this.nextId++;
    if (id >= objectIdEnd) throw new RangeError(`an object set holds fewer than ${objectIdEnd} objects`);
    this.trees.set(id, ObjectTree.create(type, blockBytes, txg));
    return id;
  }

  /** Removes object `id`: its blocks are freed and its number reused at the next sync. */
  async remove(io: BlockIo, id: number): Promise<void> {
    const tree = await this.tree(io, id);
    await this.counted(tree, () => tree.truncate(io, 0));
    this.removed.add(id);
  }

  /** Object `id`'s dnode as it stands (its size includes writes not yet synced). */
  async stat(io: BlockIo, id: number): Promise<Dnode> {
    const tree = await this.tree(io, id);
    return { ...tree.dnode(), sizeBytes: tree.size };
  }

  async read(io: BlockIo, id: number, offsetBytes: number, lengthBytes: number, into?: Uint8Array): Promise<Uint8Array> {
    return (await this.tree(io, id)).read(io, offsetBytes, lengthBytes, into);
  }

  async write(io: BlockIo, id: number, offsetBytes: number, data: Uint8Array): Promise<void> {
    const tree = await this.tree(io, id);
    await this.counted(tree, () => tree.write(io, offsetBytes, data));
  }

  async truncate(io: BlockIo, id: number, sizeBytes: number): Promise<void> {
    const tree = await this.tree(io, id);
    await this.counted(tree, () => tree.truncate(io, sizeBytes));
  }

  /** Runs a change of `tree`, keeping `dirtyBytes` and `dirtyParentCount` up to date. */
  private async counted(tree: ObjectTree, change: () => Promise<void>): Promise<void> {
    const before = tree.dirtyBytes;
    const parentsBefore = tree.dirtyParentCount;
    try {
      await change();
    } finally {
      this.changedBytes += tree.dirtyBytes - before;
      this.changedParents += tree.dirtyParentCount - parentsBefore;
    }
  }

  /** The numbers of every object, in order (reads every dnode: tests and walks). */
  async ids(io: BlockIo): Promise<number[]> {
    const ids: number[] = [];
    for (let id = 1; id < this.nextId; id++)
      if (!this.removed.has(id) && (this.trees.has(id) || (await this.storedDnode(io, id)).type !== 'free')) ids.push(id);
    return ids;
  }

  /** Writes what changed, in transaction group `txg`, and returns the new objset block's pointer. */
  async sync(io: BlockIo, txg: number): Promise<BlockPointer> {
    for (const [id, tree] of [...this.trees].sort(([a], [b]) => a - b)) {
      const changed = await tree.sync(io, txg);
      if (this.removed.has(id)) await this.meta.write(io, id * dnodeBytes, encodeDnode(freeDnode()));
      else if (changed) await this.meta.write(io, id * dnodeBytes, encodeDnode(tree.dnode()));
    }
    this.changedBytes = 0;
    this.changedParents = 0;
    for (const id of this.removed) {
      this.trees.delete(id);
      this.freeIds.push(id);
    }
    this.removed.clear();
    this.freeIds.sort((a, b) => b - a);
    const metaChanged = await this.meta.sync(io, txg);
    if (metaChanged || this.scanChanged || isHole(this.root)) {
      const block = new Uint8Array(objsetBlockBytes);
      const view = new DataView(block.buffer);
      view.setUint32(0, objsetMagic, true);
      view.setUint32(4, objsetVersion, true);
      block.set(encodeDnode(this.meta.dnode()), metaDnodeOffset);
      if (this.scan !== null) writeScanRecord(view, scanRecordOffset, this.scan);
      this.scanChanged = false;
      const pointer = await io.write(block, 'objset', 0, Math.max(1, this.meta.dnode().root.fill), txg);
      if (!isHole(this.root)) io.free(this.root, txg);
      this.root = pointer;
    }
    return this.root;
  }

  /** Every block pointer of the set, the objset block first, each parent before its children (an import's walk, a scrub's). */
  async *pointers(io: BlockIo): AsyncGenerator<BlockPointer> {
    if (isHole(this.root)) return;
    yield this.root;
    yield* this.meta.pointers(io);
    for (const id of await this.ids(io)) yield* (await this.tree(io, id)).pointers(io);
  }

  private async tree(io: BlockIo, id: number): Promise<ObjectTree> {
    const known = this.trees.get(id);
    if (known !== undefined && !this.removed.has(id)) return known;
    if (known === undefined && Number.isSafeInteger(id) && id >= 1 && id < this.nextId) {
      const dnode = await this.storedDnode(io, id);
      // A read that finished while another loaded the same object: keep the first.
      const raced = this.trees.get(id);
      if (raced !== undefined) return raced;
      if (dnode.type !== 'free') {
        const tree = ObjectTree.of(dnode);
        this.trees.set(id, tree);
        return tree;
      }
    }
    throw new NoSuchObjectError(id);
  }

  private async storedDnode(io: BlockIo, id: number): Promise<Dnode> {
    if ((id + 1) * dnodeBytes > this.meta.size) return freeDnode();
    return decodeDnode(await this.meta.read(io, id * dnodeBytes, dnodeBytes), 0);
  }
}
