/**
 * The mapped regions of the address space, in address order (OSv's vma list): what mmap placed
 * where, with which protection, so the VM can find holes, refuse overlapping fixed mappings and
 * remove a mapping's guard pages with it. The page tables hold the same facts page by page; this
 * list holds them range by range, for the single writer only.
 *
 * @example
 * ```ts
 * const regions = new Regions();
 * const start = regions.findHole(8192, 4096, 0);
 * regions.add({ start, end: start + 8192, protection: 'read-write', huge: true, guarded: false });
 * ```
 */
import { assert } from '../../ground/assert.js';
import { VmArgumentError } from './errors.js';
import type { VmProtection } from '../../protocols/vm.js';
import { regionsCountMax, virtualAddressBits } from './limits.js';

/** What a mapping's pages allow: nothing, reads, or reads and writes. */
export type Protection = VmProtection;

export interface Region {
  readonly start: number;
  readonly end: number;
  readonly protection: Protection;
  /** Whether its aligned blocks may be backed by huge pages. */
  readonly huge: boolean;
  /** A guard page (of the mapping that starts or ends next to it), not a mapping of its own. */
  readonly guard: boolean;
  /**
   * The end of the addresses it keeps to itself, past its own end: the end of its last 2 MiB block,
   * for a mapping that holds whole blocks (so that moving it carries whole page tables). Absent: its end.
   */
  readonly holdEnd?: number;
}

/** The end of what `region` keeps to itself. */
export function holdEndOf(region: Region): number {
  return region.holdEnd ?? region.end;
}

/** Where mmap starts looking: the low 4 GiB stay unmapped, so small integers mistaken for addresses fault. */
export const mappingBase = 2 ** 32;
const addressEnd = 2 ** virtualAddressBits;

export class Regions {
  private readonly list: Region[] = [];

  get all(): readonly Region[] {
    return this.list;
  }

  /** Throws VmArgumentError unless `more` regions fit within the bound (ENOMEM past vm.max_map_count on Linux). */
  checkRoom(more: number): void {
    if (this.list.length + more > regionsCountMax) {
      throw new VmArgumentError(`the address space holds at most ${regionsCountMax} regions (mappings, guard pages and their pieces); unmap some first`);
    }
  }

  /**
   * The lowest address `a` ≥ mappingBase with `a ≡ phase (mod alignment)` such that
   * `[a, a + bytes)` overlaps no region, or -1 when the address space has no such hole.
   */
  findHole(bytes: number, alignment: number, phase: number): number {
    let cursor = mappingBase;
    for (let i = 0; i <= this.list.length; i++) {
      const candidate = alignUp(cursor, alignment, phase);
      const limit = i < this.list.length ? this.list[i]!.start : addressEnd;
      if (candidate + bytes <= limit) return candidate;
      if (i < this.list.length) cursor = Math.max(cursor, holdEndOf(this.list[i]!));
    }
    return -1;
  }

  /** Whether `[start, end)` overlaps a region, or the addresses one keeps to itself. */
  overlaps(start: number, end: number): boolean {
    return this.list.some((region) => region.start < end && start < holdEndOf(region));
  }

  /** The regions that overlap `[start, end)` with what they keep to themselves, in order. */
  holding(start: number, end: number): Region[] {
    return this.list.filter((region) => region.start < end && start < holdEndOf(region));
  }

  /** The regions that overlap `[start, end)`, in order. */
  within(start: number, end: number): Region[] {
    return this.list.filter((region) => region.start < end && start < region.end);
  }

  add(region: Region): void {
    assert(region.start < region.end && holdEndOf(region) >= region.end && !this.overlaps(region.start, holdEndOf(region)), 'regions never overlap');
    assert(this.list.length < regionsCountMax, 'the mapper checks the bound on regions before it adds one');
    const at = this.list.findIndex((other) => other.start > region.start);
    if (at < 0) this.list.push(region);
    else this.list.splice(at, 0, region);
  }

  /** Cuts `[start, end)` out of every region, keeping what lies outside it; only the last piece keeps its hold past its end. */
  remove(start: number, end: number): void {
    for (const region of this.within(start, end)) {
      this.list.splice(this.list.indexOf(region), 1);
      if (region.start < start) this.add(piece(region, region.start, start));
      if (region.end > end) this.add(piece(region, end, region.end));
    }
  }

  /** Sets the protection of `[start, end)`, splitting regions at its ends. */
  protect(start: number, end: number, protection: Protection): void {
    for (const region of this.within(start, end)) {
      const from = Math.max(start, region.start);
      const to = Math.min(end, region.end);
      this.remove(from, to);
      this.add({ ...piece(region, from, to), protection });
    }
  }

  /** Whether every byte of `[start, end)` lies in some mapping (not a guard page). */
  covers(start: number, end: number): boolean {
    let cursor = start;
    for (const region of this.within(start, end)) {
      if (region.start > cursor || region.guard) return false;
      cursor = region.end;
    }
    return cursor >= end;
  }
}

/** The piece `[start, end)` of `region`: it keeps the region's hold only if it ends where the region did. */
function piece(region: Region, start: number, end: number): Region {
  const { holdEnd, ...rest } = region;
  return end === region.end && holdEnd !== undefined ? { ...rest, start, end, holdEnd } : { ...rest, start, end };
}

function alignUp(address: number, alignment: number, phase: number): number {
  const offset = (((address - phase) % alignment) + alignment) % alignment;
  return offset === 0 ? address : address + alignment - offset;
}
