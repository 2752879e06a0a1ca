/**
 * Page-table entries. An entry is 8 bytes, as on x86-64, in two 32-bit words of physical memory:
 *
 * ```
 * low word   bits 0-7  flags (below)        bits 8-30  frame number
 * high word  bit 0     accessed             bit 1      dirty
 * ```
 *
 * The structure lives in the low word, so one compare-exchange changes it whole: a fault on any CPU
 * installs a frame by exchanging a reserved entry for a present one, and the VM's own changes
 * exchange too, so neither loses the other's. Accessed and dirty sit in the high word, where an
 * access sets them with one `Atomics.or` that never races a structural change for the same bits.
 *
 * An entry is one of:
 * - 0: nothing mapped;
 * - reserved: mapped but not yet backed; `writable` and `noAccess` give the protection, and at levels
 *   1 and 2 it stands for a whole 2 MiB or 1 GiB block, populated as one huge page if `hugeAllowed`
 *   and a block is free, else split into a table of reserved entries one level down. Its frame bits
 *   hold a stamp, the generation it was reserved in, so that one reserved again differs (ABA);
 * - present: a frame. At level 0 a 4 KiB page; at levels 1 and 2 a huge page if `leaf`, else the
 *   frame of the next table.
 */
import { assert } from '../../ground/assert.js';

export const present = 1;
export const writable = 2;
export const reserved = 4;
/** A guard page, or a page protected to `none`: every access faults. */
export const noAccess = 8;
/** At levels 1 and 2: a huge page, not the frame of a table. */
export const leaf = 16;
/** On a reserved entry of level 1 or 2: its block may be populated as one huge page. */
export const hugeAllowed = 32;
/** The protection bits that a reserved entry hands down when it is split, and mprotect rewrites. */
export const protectionBits = writable | noAccess;

export const accessed = 1;
export const dirty = 2;

const frameShift = 8;
const flagsMask = 0xff;

/** The low word of an entry for `frame` with `flags`. */
export function entryOf(frame: number, flags: number): number {
  assert(frame >= 0 && frame < 2 ** 23 && (flags & ~flagsMask) === 0, 'an entry holds a 23-bit frame and 8 flag bits');
  return (frame << frameShift) | flags;
}

export function frameOf(entry: number): number {
  return entry >>> frameShift;
}

export function flagsOf(entry: number): number {
  return entry & flagsMask;
}

export function isPresent(entry: number): boolean {
  return (entry & present) !== 0;
}

/** A present entry of level > 0 that points to a table (not a huge page). */
export function isTable(entry: number, level: number): boolean {
  return level > 0 && (entry & present) !== 0 && (entry & leaf) === 0;
}
