/**
 * Block checksums, which a block pointer holds for the block it points to: every read is verified
 * against them, so a pool never returns a block that changed since it was written (ZFS's Merkle
 * tree). Two kinds, as ZFS offers them:
 *
 * - `fletcher4`, the default: four 64-bit sums over the block's 32-bit little-endian words,
 *   a += w, b += a, c += b, d += c, each modulo 2^64 (zfs:module/zcommon/zfs_fletcher.c). Fast, and
 *   it catches the bit flips, torn and misdirected blocks a disk makes.
 * - `sha256`, selectable: cryptographic, for pools that must also resist forged blocks (Node's crypto).
 *
 * A checksum is 32 bytes either way: fletcher4's sums are four little-endian 64-bit words.
 *
 * @example
 * ```ts
 * const sum = blockChecksum('fletcher4', block);
 * checksumsEqual(sum, blockChecksum('fletcher4', readBack)); // false if any bit changed
 * ```
 */
import { createHash } from 'node:crypto';
import { assert } from '../../ground/assert.js';

export type ChecksumKind = 'fletcher4' | 'sha256';
export const checksumKinds: readonly ChecksumKind[] = ['fletcher4', 'sha256'];
/** Bytes of a checksum of either kind. */
export const checksumBytes = 32;

const twoTo32 = 2 ** 32;
// fletcher4 reads words through a Uint32Array, in the machine's order: the sums are of little-endian words.
assert(new Uint8Array(new Uint32Array([1]).buffer)[0] === 1, 'fletcher4 runs on a little-endian machine');

/**
 * Fletcher-4 of `data`, whose length is a whole number of 32-bit words. Each 64-bit sum is kept as
 * two 32-bit halves: JavaScript numbers hold 53 bits, and BigInt costs a hundred times more.
 */
export function fletcher4(data: Uint8Array): Uint8Array {
  if (data.byteLength % 4 !== 0) throw new RangeError(`fletcher4 sums 32-bit words: ${data.byteLength} bytes is not a whole number of them`);
  // The words as a typed array read them in the machine's byte order: little-endian here (checked at
  // load); an unaligned block is copied first.
  const aligned = data.byteOffset % 4 === 0 ? data : data.slice();
  const words = new Uint32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
  let aLo = 0;
  let aHi = 0;
  let bLo = 0;
  let bHi = 0;
  let cLo = 0;
  let cHi = 0;
  let dLo = 0;
  let dHi = 0;
  for (let i = 0; i < words.length; i++) {
    // Each low sum is below 2^33, exact in a double; its carry is what passes 2^32.
    let sum = aLo + words[i]!;
    aLo = sum >>> 0;
    aHi = (aHi + (sum - aLo) / twoTo32) >>> 0;
    sum = bLo + aLo;
    bLo = sum >>> 0;
    bHi = (bHi + aHi + (sum - bLo) / twoTo32) >>> 0;
    sum = cLo + bLo;
    cLo = sum >>> 0;
    cHi = (cHi + bHi + (sum - cLo) / twoTo32) >>> 0;
    sum = dLo + cLo;
    dLo = sum >>> 0;
    dHi = (dHi + cHi + (sum - dLo) / twoTo32) >>> 0;
  }
  const checksum = new Uint8Array(checksumBytes);
  const out = new DataView(checksum.buffer);
  [aLo, aHi, bLo, bHi, cLo, cHi, dLo, dHi].forEach((half, index) => out.setUint32(index * 4, half, true));
  return checksum;
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(data).digest());
}

/** The checksum of kind `kind` of `data`. */
export function blockChecksum(kind: ChecksumKind, data: Uint8Array): Uint8Array {
  switch (kind) {
    case 'fletcher4':
      return fletcher4(data);
    case 'sha256':
      return sha256(data);
    default:
      throw new RangeError(`no checksum '${String(kind)}': one of ${checksumKinds.join(', ')}`);
  }
}

/** Whether two checksums are the same bytes. */
export function checksumsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}
