/**
 * The uberblock: the root of the pool's tree at one transaction group, and what an import starts
 * from. Each device keeps a ring of them in each of its labels; the commit of group `txg` writes
 * its uberblock to slot `txg mod slots` of every label, so a slot torn by a crash leaves the older
 * ones whole. An import reads every slot and takes the newest uberblock that verifies (ZFS's rule:
 * the highest txg, then the latest timestamp).
 *
 * A slot is sealed with an embedded checksum whose verifier is the slot's offset on the device, so a
 * copy written to the wrong slot or device place does not verify where it landed.
 *
 * @example
 * ```ts
 * const slot = encodeUberblock(uberblock, ringSlotBytes(512), offset); // 1 KiB, sealed for `offset`
 * pickUberblock([{ bytes: slot, offsetBytes: offset }], uberblock.guidSum)?.txg; // uberblock.txg
 * ```
 */
import { type BlockPointer, blockPointerBytes, decodeBlockPointer, encodeBlockPointer } from './block-pointer.js';
import { areaVerifies, sealArea, sealBytes } from './embedded-checksum.js';
import { FormatError } from './format-errors.js';
import { getSafeUint64, setSafeUint64 } from './safe-uint64.js';

/** ZFS's uberblock magic ("oo-ba-bloc"). */
export const uberblockMagic = 0x00bab10c;
/** The version of this layout. */
export const uberblockVersion = 1;

export interface Uberblock {
  readonly version: number;
  /** The transaction group it roots. */
  readonly txg: number;
  /** The sum of the pool's device guids, mod 2^64: an import checks that it found all the devices. */
  readonly guidSum: bigint;
  /** When it was written, in ms of the pool's clock. */
  readonly timestampMs: number;
  /** The pool's root block. */
  readonly root: BlockPointer;
}

/** The bytes of a ring slot for a device of `sectorBytes`: a sector, at least 1 KiB, at most 8 KiB. */
export function ringSlotBytes(sectorBytes: number): number {
  return Math.min(Math.max(sectorBytes, 1024), 8192);
}

/** `uberblock` as a sealed slot of `slotBytes`, to be written at `offsetBytes`. */
export function encodeUberblock(uberblock: Uberblock, slotBytes: number, offsetBytes: number): Uint8Array {
  if (!Number.isSafeInteger(uberblock.txg) || uberblock.txg < 1) throw new RangeError(`an uberblock's txg is a positive integer, got ${uberblock.txg}`);
  if (!Number.isSafeInteger(uberblock.timestampMs) || uberblock.timestampMs < 0) throw new RangeError(`timestampMs ${uberblock.timestampMs}`);
  if (uberblock.guidSum < 0n || uberblock.guidSum >= 1n << 64n) throw new RangeError('guidSum is a 64-bit unsigned sum');
  if (uberblock.version !== uberblockVersion) throw new RangeError(`this code writes uberblocks of version ${uberblockVersion}, not ${uberblock.version}`);
  const slot = new Uint8Array(slotBytes);
  const view = new DataView(slot.buffer);
  view.setUint32(0, uberblockMagic, true);
  view.setUint32(4, uberblock.version, true);
  setSafeUint64(view, 8, uberblock.txg);
  view.setBigUint64(16, uberblock.guidSum, true);
  setSafeUint64(view, 24, uberblock.timestampMs);
  slot.set(encodeBlockPointer(uberblock.root), 32);
  sealArea(slot, offsetBytes);
  return slot;
}

/** The uberblock in the slot read at `offsetBytes`; throws FormatError for one that does not verify there. */
export function decodeUberblock(slot: Uint8Array, offsetBytes: number): Uberblock {
  if (slot.byteLength < 32 + blockPointerBytes + sealBytes) throw new FormatError('uberblock', `a slot of ${slot.byteLength} bytes is too small`);
  if (!areaVerifies(slot, offsetBytes))
    throw new FormatError('uberblock', `the slot at ${offsetBytes} does not verify: torn, corrupted, empty, or written elsewhere`);
  const view = new DataView(slot.buffer, slot.byteOffset, slot.byteLength);
  if (view.getUint32(0, true) !== uberblockMagic) throw new FormatError('uberblock', 'no uberblock magic');
  const version = view.getUint32(4, true);
  if (version !== uberblockVersion) throw new FormatError('uberblock', `version ${version}, which this code does not read`);
  const txg = getSafeUint64(view, 8);
  const timestampMs = getSafeUint64(view, 24);
  if (txg === null || txg < 1 || timestampMs === null) throw new FormatError('uberblock', 'its txg or timestamp is out of range');
  return { version, txg, guidSum: view.getBigUint64(16, true), timestampMs, root: decodeBlockPointer(slot, 32) };
}

/**
 * The newest uberblock among `slots` that verifies where it was read and belongs to the pool whose
 * device guids sum to `guidSum` (a leftover of an earlier pool on the same devices does not): the
 * highest txg, then the latest timestamp. Undefined when none does (a device that was never this
 * pool's, or wiped).
 */
export function pickUberblock(slots: readonly { readonly bytes: Uint8Array; readonly offsetBytes: number }[], guidSum: bigint): Uberblock | undefined {
  return verifiedUberblocks(slots, guidSum)[0];
}

/**
 * Every distinct uberblock among `slots` that verifies where it was read and carries `guidSum`,
 * newest first (as `pickUberblock` orders them): what an import falls back on, one after another.
 */
export function verifiedUberblocks(slots: readonly { readonly bytes: Uint8Array; readonly offsetBytes: number }[], guidSum: bigint): Uberblock[] {
  const distinct = new Map<string, Uberblock>();
  for (const { bytes, offsetBytes } of slots) {
    let candidate: Uberblock;
    try {
      candidate = decodeUberblock(bytes, offsetBytes);
    } catch (error) {
      if (error instanceof FormatError) continue;
      throw error;
    }
    // The same group's uberblock is in every label of every device: one of each is enough.
    if (candidate.guidSum === guidSum) distinct.set(`${candidate.txg}/${candidate.timestampMs}`, candidate);
  }
  return [...distinct.values()].sort((a, b) => b.txg - a.txg || b.timestampMs - a.timestampMs);
}
