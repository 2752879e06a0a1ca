/**
 * A block pointer (ZFS's `blkptr_t`): where a block's copies are, how big it is, when it was born,
 * and the checksum of its bytes. Parents hold their children's pointers, so the pool is a Merkle
 * tree from the uberblock down, and a read is verified against the pointer it came through. A
 * pointer is 128 bytes on the device; a hole (nothing written there yet) is 128 zero bytes.
 *
 * Layout, little-endian: three 16-byte addresses (device u32, 0xffffffff for none; allocated bytes
 * u32; offset u64), logical and physical size u32, checksum kind u8, block type u8, level u8, copies
 * u8, birth txg u64, fill u64, checksum 32 bytes, 20 zero bytes.
 *
 * @example
 * ```ts
 * const bytes = encodeBlockPointer({ addresses: [{ device: 0, offsetBytes: 4 << 20, allocatedBytes: 4096 }],
 *   logicalBytes: 4096, physicalBytes: 4096, checksumKind: 'fletcher4', type: 'data', level: 0,
 *   birthTxg: 7, fill: 1, checksum: fletcher4(block) });
 * decodeBlockPointer(bytes).birthTxg; // 7
 * ```
 */
import { copyOfBytes } from '../../ground/bytes.js';
import { type ChecksumKind, checksumBytes, checksumKinds } from './checksum.js';
import { FormatError } from './format-errors.js';
import { getSafeUint64, setSafeUint64 } from './safe-uint64.js';

export const blockPointerBytes = 128;
/** Copies a pointer holds at most (ZFS's three DVAs). */
export const copiesMax = 3;
/** Indirect levels at most above the data. */
export const levelMax = 8;
/** The largest block, in bytes. */
export const blockBytesMax = 16 << 20;

export type BlockType = 'data' | 'indirect' | 'object' | 'objset' | 'directory';
export const blockTypes: readonly BlockType[] = ['data', 'indirect', 'object', 'objset', 'directory'];

/** One copy: on which device of the pool, where, and how many bytes it takes there (with parity). */
export interface DataAddress {
  readonly device: number;
  readonly offsetBytes: number;
  readonly allocatedBytes: number;
}

export interface BlockPointer {
  /** 1 to 3 copies; a hole has none. */
  readonly addresses: readonly DataAddress[];
  readonly logicalBytes: number;
  /** Bytes as stored (after compression, once there is some). */
  readonly physicalBytes: number;
  readonly checksumKind: ChecksumKind;
  readonly type: BlockType;
  readonly level: number;
  /** The transaction group that wrote it; 0 for a hole. */
  readonly birthTxg: number;
  /** Non-hole blocks below it (1 for a data block). */
  readonly fill: number;
  readonly checksum: Uint8Array;
}

/** A pointer to nothing: no block was written there yet (a fresh one each call: its checksum is an array). */
export function holePointer(): BlockPointer {
  return {
    addresses: [],
    logicalBytes: 0,
    physicalBytes: 0,
    checksumKind: 'fletcher4',
    type: 'data',
    level: 0,
    birthTxg: 0,
    fill: 0,
    checksum: new Uint8Array(checksumBytes),
  };
}

/** Whether `pointer` is a hole: no copies, born in no transaction group. */
export function isHole(pointer: BlockPointer): boolean {
  return pointer.birthTxg === 0 && pointer.addresses.length === 0;
}

const noDevice = 0xffffffff;
const twoTo32 = 2 ** 32;

/** `pointer` as its 128 bytes; throws RangeError for fields no pointer holds. */
export function encodeBlockPointer(pointer: BlockPointer): Uint8Array {
  const bytes = new Uint8Array(blockPointerBytes);
  if (isHole(pointer)) return bytes;
  const problem = problemOf(pointer);
  if (problem !== null) throw new RangeError(`a block pointer cannot hold this: ${problem}`);
  const view = new DataView(bytes.buffer);
  for (let copy = 0; copy < copiesMax; copy++) {
    const address = pointer.addresses[copy];
    const at = copy * 16;
    view.setUint32(at, address?.device ?? noDevice, true);
    view.setUint32(at + 4, address?.allocatedBytes ?? 0, true);
    setSafeUint64(view, at + 8, address?.offsetBytes ?? 0);
  }
  view.setUint32(48, pointer.logicalBytes, true);
  view.setUint32(52, pointer.physicalBytes, true);
  view.setUint8(56, checksumKinds.indexOf(pointer.checksumKind));
  view.setUint8(57, blockTypes.indexOf(pointer.type));
  view.setUint8(58, pointer.level);
  view.setUint8(59, pointer.addresses.length);
  setSafeUint64(view, 60, pointer.birthTxg);
  setSafeUint64(view, 68, pointer.fill);
  bytes.set(pointer.checksum, 76);
  return bytes;
}

/** The pointer in the 128 bytes at `offset` of `bytes`; throws FormatError for bytes no pointer encodes. */
export function decodeBlockPointer(bytes: Uint8Array, offset = 0): BlockPointer {
  if (offset < 0 || offset + blockPointerBytes > bytes.byteLength) throw new RangeError(`no 128 bytes at ${offset} of ${bytes.byteLength}`);
  const area = bytes.subarray(offset, offset + blockPointerBytes);
  if (area.every((byte) => byte === 0)) return holePointer();
  const view = new DataView(area.buffer, area.byteOffset, blockPointerBytes);
  const copies = view.getUint8(59);
  if (copies < 1 || copies > copiesMax) throw new FormatError('block pointer', `${copies} copies, not 1 to ${copiesMax}`);
  const addresses: DataAddress[] = [];
  for (let copy = 0; copy < copiesMax; copy++) {
    const at = copy * 16;
    const device = view.getUint32(at, true);
    if (copy < copies) addresses.push({ device, allocatedBytes: view.getUint32(at + 4, true), offsetBytes: getUint64(view, at + 8) });
    else if (device !== noDevice || view.getUint32(at + 4, true) !== 0 || getUint64(view, at + 8) !== 0)
      throw new FormatError('block pointer', `copy ${copy} is filled in past its ${copies} copies`);
  }
  const kind = checksumKinds[view.getUint8(56)];
  const type = blockTypes[view.getUint8(57)];
  if (kind === undefined) throw new FormatError('block pointer', `checksum kind ${view.getUint8(56)} is none it knows`);
  if (type === undefined) throw new FormatError('block pointer', `block type ${view.getUint8(57)} is none it knows`);
  if (!area.subarray(108).every((byte) => byte === 0)) throw new FormatError('block pointer', 'its last 20 bytes are not zero');
  const pointer: BlockPointer = {
    addresses,
    logicalBytes: view.getUint32(48, true),
    physicalBytes: view.getUint32(52, true),
    checksumKind: kind,
    type,
    level: view.getUint8(58),
    birthTxg: getUint64(view, 60),
    fill: getUint64(view, 68),
    checksum: copyOfBytes(area, 76, 108),
  };
  const problem = problemOf(pointer);
  if (problem !== null) throw new FormatError('block pointer', problem);
  return pointer;
}

/** What is wrong with a pointer that is not a hole, or null. */
function problemOf(pointer: BlockPointer): string | null {
  const copies = pointer.addresses.length;
  if (copies < 1 || copies > copiesMax) return `${copies} copies, not 1 to ${copiesMax}`;
  for (const address of pointer.addresses) {
    if (!Number.isInteger(address.device) || address.device < 0 || address.device >= noDevice) return `device ${address.device}`;
    if (!Number.isSafeInteger(address.offsetBytes) || address.offsetBytes < 0) return `offset ${address.offsetBytes}`;
    if (!Number.isInteger(address.allocatedBytes) || address.allocatedBytes < 1 || address.allocatedBytes >= twoTo32)
      return `allocated bytes ${address.allocatedBytes}`;
  }
  for (const [name, size] of [
    ['logical', pointer.logicalBytes],
    ['physical', pointer.physicalBytes],
  ] as const) {
    if (!Number.isInteger(size) || size < 1 || size > blockBytesMax) return `${name} size ${size} is not in [1, ${blockBytesMax}]`;
  }
  if (!checksumKinds.includes(pointer.checksumKind)) return `checksum kind ${pointer.checksumKind}`;
  if (!blockTypes.includes(pointer.type)) return `block type ${pointer.type}`;
  if (!Number.isInteger(pointer.level) || pointer.level < 0 || pointer.level > levelMax) return `level ${pointer.level} is not in [0, ${levelMax}]`;
  if (!Number.isSafeInteger(pointer.birthTxg) || pointer.birthTxg < 1) return `birth txg ${pointer.birthTxg}`;
  if (!Number.isSafeInteger(pointer.fill) || pointer.fill < 0) return `fill ${pointer.fill}`;
  if (pointer.checksum.byteLength !== checksumBytes) return `a checksum of ${pointer.checksum.byteLength} bytes`;
  return null;
}

function getUint64(view: DataView, at: number): number {
  const value = getSafeUint64(view, at);
  if (value === null) throw new FormatError('block pointer', `a 64-bit field at ${at} is past 2^53`);
  return value;
}
