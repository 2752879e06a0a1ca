/**
 * A dnode: the 256-byte record of one object (ZFS's `dnode_phys_t`, cut down): its type, its data
 * block size, its length, how many levels its block tree has, and the pointer to the top of that
 * tree. An object set keeps its dnodes as the data of its object 0 (see object-set.ts), so dnodes
 * are copied on write like any other block.
 *
 * Layout, little-endian: type u8, levels u8, 2 zero bytes, block bytes u32, size u64, birth txg
 * u64, 40 zero bytes, the root block pointer (128 bytes), 64 zero bytes (room for a file's
 * attributes). A free slot is 256 zero bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeDnode({ type: 'file', blockBytes: 4096, sizeBytes: 10, levels: 1, birthTxg: 3, root });
 * decodeDnode(bytes, 0).sizeBytes; // 10
 * ```
 */
import { type BlockPointer, blockBytesMax, blockPointerBytes, decodeBlockPointer, encodeBlockPointer, holePointer, isHole, levelMax } from './block-pointer.js';
import { FormatError } from './format-errors.js';
import { getSafeUint64, setSafeUint64 } from './safe-uint64.js';

export const dnodeBytes = 256;
const rootOffset = 64;

/** What an object holds: the dnode array of an object set, a file's bytes, or a directory. */
export type ObjectType = 'free' | 'dnodes' | 'file' | 'directory';
export const objectTypes: readonly ObjectType[] = ['free', 'dnodes', 'file', 'directory'];

export interface Dnode {
  readonly type: ObjectType;
  /** The size of each of its data blocks: a power of two, a sector at least, `blockBytesMax` at most. */
  readonly blockBytes: number;
  /** Its length in bytes; data past it reads as zeros until written. */
  readonly sizeBytes: number;
  /** Levels of its block tree: 0 while it has no block, 1 when the root is its only data block. */
  readonly levels: number;
  /** The transaction group that created it. */
  readonly birthTxg: number;
  /** The top of its tree: a data block at 1 level, an indirect block above. */
  readonly root: BlockPointer;
}

/** The dnode of a free slot. */
export function freeDnode(): Dnode {
  return { type: 'free', blockBytes: 0, sizeBytes: 0, levels: 0, birthTxg: 0, root: holePointer() };
}

/** `dnode` as its 256 bytes; throws RangeError for fields no dnode holds. */
export function encodeDnode(dnode: Dnode): Uint8Array {
  const bytes = new Uint8Array(dnodeBytes);
  if (dnode.type === 'free') return bytes;
  const problem = problemOf(dnode);
  if (problem !== null) throw new RangeError(`a dnode cannot hold this: ${problem}`);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, objectTypes.indexOf(dnode.type));
  view.setUint8(1, dnode.levels);
  view.setUint32(4, dnode.blockBytes, true);
  setSafeUint64(view, 8, dnode.sizeBytes);
  setSafeUint64(view, 16, dnode.birthTxg);
  bytes.set(encodeBlockPointer(dnode.root), rootOffset);
  return bytes;
}

/** The dnode in the 256 bytes at `offset` of `bytes`; throws FormatError for bytes no dnode encodes. */
export function decodeDnode(bytes: Uint8Array, offset: number): Dnode {
  const area = bytes.subarray(offset, offset + dnodeBytes);
  if (area.byteLength !== dnodeBytes) throw new RangeError(`no dnode at ${offset} of ${bytes.byteLength} bytes`);
  const view = new DataView(area.buffer, area.byteOffset, dnodeBytes);
  const type = objectTypes[view.getUint8(0)];
  if (type === undefined) throw new FormatError('dnode', `object type ${view.getUint8(0)} is none it knows`);
  const zeroAreas: [number, number][] = [
    [2, 4],
    [24, rootOffset],
    [rootOffset + blockPointerBytes, dnodeBytes],
  ];
  if (zeroAreas.some(([from, to]) => area.subarray(from, to).some((byte) => byte !== 0))) throw new FormatError('dnode', 'a reserved area is not zero');
  if (type === 'free') {
    if (area.some((byte) => byte !== 0)) throw new FormatError('dnode', 'a free slot is not all zeros');
    return freeDnode();
  }
  const sizeBytes = getSafeUint64(view, 8);
  const birthTxg = getSafeUint64(view, 16);
  if (sizeBytes === null || birthTxg === null) throw new FormatError('dnode', 'its size or birth txg is past 2^53');
  const dnode: Dnode = { type, levels: view.getUint8(1), blockBytes: view.getUint32(4, true), sizeBytes, birthTxg, root: decodeBlockPointer(area, rootOffset) };
  const problem = problemOf(dnode);
  if (problem !== null) throw new FormatError('dnode', problem);
  return dnode;
}

function problemOf(dnode: Dnode): string | null {
  const { blockBytes, levels, sizeBytes, birthTxg, root } = dnode;
  if (!Number.isInteger(blockBytes) || blockBytes < 512 || blockBytes > blockBytesMax || (blockBytes & (blockBytes - 1)) !== 0)
    return `block size ${blockBytes} is not a power of two in [512, ${blockBytesMax}]`;
  if (!Number.isInteger(levels) || levels < 0 || levels > levelMax + 1) return `${levels} levels`;
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 0) return `size ${sizeBytes}`;
  if (!Number.isSafeInteger(birthTxg) || birthTxg < 1) return `birth txg ${birthTxg}`;
  if (levels === 0 && !isHole(root)) return 'a block tree of no levels with a root';
  if (!isHole(root) && root.level !== levels - 1) return `a root of level ${root.level} in a tree of ${levels} levels`;
  return null;
}
