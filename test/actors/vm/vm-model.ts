/**
 * The plain model the address space is checked against: page number → protection and bytes, and
 * which pages were written since dirty pages were last collected. No tables, no frames, no huge
 * pages: what a user can observe, and nothing else.
 */
import type { SegmentationCause } from '../../../actors/vm/errors.js';
import { pageBytes } from '../../../actors/vm/limits.js';
import type { Protection } from '../../../actors/vm/regions.js';
import type { PageTables } from '../../../actors/vm/page-tables.js';
import { frameOf, isPresent, isTable, leaf } from '../../../actors/vm/page-entry.js';
import { levelSpanBytes, tableEntriesCount } from '../../../actors/vm/limits.js';

interface ModelPage {
  protection: Protection;
  guard: boolean;
  /** Null: never written, reads as zero. */
  bytes: Uint8Array | null;
  dirty: boolean;
}

export class VmModel {
  readonly pages = new Map<number, ModelPage>();

  map(address: number, length: number, protection: Protection, guard: boolean): void {
    for (let at = address; at < address + length; at += pageBytes) this.pages.set(at / pageBytes, { protection, guard: false, bytes: null, dirty: false });
    if (guard) {
      this.pages.set(address / pageBytes - 1, { protection: 'none', guard: true, bytes: null, dirty: false });
      this.pages.set((address + length) / pageBytes, { protection: 'none', guard: true, bytes: null, dirty: false });
    }
  }

  /** Unmaps a range; a guard page next to it goes with the page it guarded. */
  unmap(address: number, length: number): void {
    for (let at = address; at < address + length; at += pageBytes) this.pages.delete(at / pageBytes);
    for (const page of [address / pageBytes - 1, (address + length) / pageBytes]) if (this.pages.get(page)?.guard === true) this.pages.delete(page);
  }

  protect(address: number, length: number, protection: Protection): void {
    for (let at = address; at < address + length; at += pageBytes) this.pages.get(at / pageBytes)!.protection = protection;
  }

  /** Moves a range; the guard pages next to it stay behind and go, as they guarded pages that left. */
  move(address: number, length: number, target: number): void {
    for (const page of [address / pageBytes - 1, (address + length) / pageBytes]) if (this.pages.get(page)?.guard === true) this.pages.delete(page);
    const moved: [number, ModelPage][] = [];
    for (let at = address; at < address + length; at += pageBytes) {
      moved.push([(at - address + target) / pageBytes, this.pages.get(at / pageBytes)!]);
      this.pages.delete(at / pageBytes);
    }
    for (const [page, state] of moved) this.pages.set(page, state);
  }

  /** Why an access of `page` faults, or null when it does not. */
  faultOf(page: number, write: boolean): SegmentationCause | null {
    const state = this.pages.get(page);
    if (state === undefined) return 'unmapped';
    if (state.protection === 'none') return 'no-access';
    if (write && state.protection === 'read') return 'read-only';
    return null;
  }

  /** Reads a range; the first page that faults ends it with its cause. */
  read(address: number, length: number): { bytes: Uint8Array } | { fault: SegmentationCause; at: number } {
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const at = address + done;
      const page = Math.floor(at / pageBytes);
      const fault = this.faultOf(page, false);
      if (fault !== null) return { fault, at };
      const count = Math.min(length - done, pageBytes - (at % pageBytes));
      const bytes = this.pages.get(page)!.bytes;
      if (bytes !== null) out.set(bytes.subarray(at % pageBytes, (at % pageBytes) + count), done);
      done += count;
    }
    return { bytes: out };
  }

  /** Writes page by page until a page faults, as the VM does. */
  write(address: number, data: Uint8Array): { fault: SegmentationCause; at: number } | null {
    for (let done = 0; done < data.length; ) {
      const at = address + done;
      const page = Math.floor(at / pageBytes);
      const fault = this.faultOf(page, true);
      if (fault !== null) return { fault, at };
      const count = Math.min(data.length - done, pageBytes - (at % pageBytes));
      const state = this.pages.get(page)!;
      state.bytes ??= new Uint8Array(pageBytes);
      state.bytes.set(data.subarray(done, done + count), at % pageBytes);
      state.dirty = true;
      done += count;
    }
    return null;
  }

  /** The pages written since the last collection in a range, and forgets them. */
  collectDirty(address: number, length: number): number[] {
    const pages: number[] = [];
    for (let at = address; at < address + length; at += pageBytes) {
      const state = this.pages.get(at / pageBytes);
      if (state?.dirty === true) {
        pages.push(at / pageBytes);
        state.dirty = false;
      }
    }
    return pages;
  }
}

/** Frames the page tables hold: the tables themselves and the pages they map. */
export function framesHeld(tables: PageTables): number {
  const words = tables.words;
  const walk = (table: number, level: number): number => {
    let frames = 1;
    for (let index = 0; index < tableEntriesCount; index++) {
      const entry = words[tables.entryWord(table, index)]!;
      if (!isPresent(entry)) continue;
      if (isTable(entry, level)) frames += walk(frameOf(entry), level - 1);
      else frames += level === 0 || (entry & leaf) !== 0 ? levelSpanBytes[level]! / pageBytes : 0;
    }
    return frames;
  };
  return walk(tables.root, 3);
}
