/**
 * The page tables: four levels of 512 entries, each table one frame of physical memory, readable by
 * every CPU (page-entry.ts has the entry layout). These are the steps that change an entry, each by
 * compare-exchange so that a CPU populating a page and the VM changing the structure never lose
 * each other's work: populate a reserved entry (with a frame or a huge page) and split a reserved or
 * huge entry into a table one level down. Whoever loses an exchange gives its frame back and reads
 * the entry again.
 *
 * @example
 * ```ts
 * const tables = new PageTables(memory, allocator);
 * const word = tables.entryWord(tables.root, tables.indexAt(address, 3));
 * ```
 */
import { assert } from '../../ground/assert.js';
import type { FrameAllocator } from './frame-allocator.js';
import type { FrameCache } from './frame-cache.js';
import { levelSpanBytes, pageBytes, tableEntriesCount } from './limits.js';
import { entryOf, frameOf, hugeAllowed, leaf, present, protectionBits, reserved } from './page-entry.js';
import { type PhysicalMemory, rootTableWord } from './physical-memory.js';

/** Tables and mapped pages of each size, as the page tables hold them now. */
export interface TableCensus {
  readonly tables: number;
  readonly pages4k: number;
  readonly pages2m: number;
  readonly pages1g: number;
}

/** Words of a page table (two per entry). */
const tableWords = tableEntriesCount * 2;
/** Buddy order of a page of each level: 4 KiB, 2 MiB, 1 GiB. */
export const orderOfLevel: readonly number[] = [0, 9, 18];

export class PageTables {
  /** Physical memory as 32-bit words: entries are read and exchanged here. */
  readonly words: Int32Array;

  constructor(
    readonly memory: PhysicalMemory,
    readonly allocator: FrameAllocator,
  ) {
    this.words = new Int32Array(memory.buffers.data);
  }

  private rootFrame = -1;

  /** The frame of the root table (level 3); made once per physical memory, before any CPU starts (`createRoot`). */
  get root(): number {
    if (this.rootFrame < 0) this.rootFrame = Atomics.load(this.memory.words, rootTableWord);
    return this.rootFrame;
  }

  /** Allocates the root table: once, before any CPU translates. */
  createRoot(cache: FrameCache): void {
    assert(Atomics.load(this.memory.words, rootTableWord) === -1, 'the root table is created once');
    const frame = this.newTable(cache, 0);
    assert(frame >= 0, 'physical memory has room for the root table');
    Atomics.store(this.memory.words, rootTableWord, frame);
  }

  /** The word index of entry `index` of table `table` (the low word; the high word follows it). */
  entryWord(table: number, index: number): number {
    return table * tableWords + index * 2;
  }

  /** The index into a table of `level` that `address` takes. */
  indexAt(address: number, level: number): number {
    return Math.floor(address / levelSpanBytes[level]!) % tableEntriesCount;
  }

  /**
   * A new table whose 512 entries are `child` (a reserved entry to hand down, or 0), or -1 when no
   * frame is free. The caller installs it by exchange, or gives it back with `cache.give`.
   */
  newTable(cache: FrameCache, child: number): number {
    const frame = cache.take();
    if (frame < 0) return -1;
    const first = frame * tableWords;
    for (let i = 0; i < tableWords; i += 2) {
      this.words[first + i] = child;
      this.words[first + i + 1] = 0;
    }
    this.memory.touched[frame] = 1;
    this.memory.count('tablesAllocated');
    return frame;
  }

  /**
   * A table splitting huge page `entry` of `level` into pages one level down: the same frames, flags
   * and accessed and dirty bits, or -1 when no frame is free.
   */
  newTableOfPages(cache: FrameCache, entry: number, level: number, high: number): number {
    const table = this.newTable(cache, 0);
    if (table < 0) return -1;
    const first = table * tableWords;
    const step = levelSpanBytes[level - 1]! / pageBytes;
    const flags = (entry & 0xff & ~leaf) | (level - 1 > 0 ? leaf : 0);
    for (let i = 0; i < tableEntriesCount; i++) {
      this.words[first + 2 * i] = entryOf(frameOf(entry) + i * step, flags);
      this.words[first + 2 * i + 1] = high;
    }
    return table;
  }

  /**
   * Populates reserved entry `entry` at `word` of `level`: one frame at level 0; at levels 1 and 2 a
   * huge page if the entry allows it and a block is free, else a table of reserved entries. Returns
   * false only when no frame at all was free; true when the entry changed, by this CPU or another.
   */
  populate(cache: FrameCache, word: number, entry: number, level: number): boolean {
    assert((entry & reserved) !== 0 && (entry & present) === 0, 'only a reserved entry is populated');
    const protection = entry & protectionBits;
    if (level === 0) {
      const frame = cache.take();
      if (frame < 0) return false;
      this.allocator.zero(frame, 0);
      // The high word of a reserved entry is 0 already: accessed and dirty start clear.
      if (Atomics.compareExchange(this.words, word, entry, entryOf(frame, present | protection)) === entry) this.memory.count('faults4k');
      else this.lostRace(() => cache.give(frame));
      return true;
    }
    if ((entry & hugeAllowed) !== 0) {
      const order = orderOfLevel[level]!;
      const frame = this.allocator.allocate(order);
      if (frame >= 0) {
        this.allocator.zero(frame, order);
        if (Atomics.compareExchange(this.words, word, entry, entryOf(frame, present | leaf | protection)) === entry)
          this.memory.count(level === 1 ? 'faults2m' : 'faults1g');
        else this.allocator.free(frame, order);
        return true;
      }
    }
    return this.splitReserved(cache, word, entry, level);
  }

  /** Replaces reserved entry `entry` of `level` > 0 by a table of reserved entries; false when no frame was free. */
  splitReserved(cache: FrameCache, word: number, entry: number, level: number): boolean {
    assert(level > 0 && (entry & reserved) !== 0, 'only a reserved block splits into reserved entries');
    // A 1 GiB block hands the huge-page hint down to its 2 MiB blocks; 4 KiB entries have no use for
    // it. The children keep the block's stamp (see Mapper.reserve).
    const child = level - 1 > 0 ? entry : entry & ~hugeAllowed;
    const table = this.newTable(cache, child);
    if (table < 0) return false;
    if (Atomics.compareExchange(this.words, word, entry, entryOf(table, present)) === entry) this.memory.count('splits');
    else this.lostRace(() => cache.give(table));
    return true;
  }

  /**
   * What the tables hold now, by walking them: tables, and pages of each size. For status, not for
   * hot paths: it visits every table.
   */
  census(): TableCensus {
    const census = { tables: 0, pages4k: 0, pages2m: 0, pages1g: 0 };
    const visit = (table: number, level: number): void => {
      census.tables++;
      for (let index = 0; index < tableEntriesCount; index++) {
        const entry = Atomics.load(this.words, this.entryWord(table, index));
        if ((entry & present) === 0) continue;
        if (level > 0 && (entry & leaf) === 0) visit(frameOf(entry), level - 1);
        else if (level === 0) census.pages4k++;
        else if (level === 1) census.pages2m++;
        else census.pages1g++;
      }
    };
    visit(this.root, 3);
    return census;
  }

  /** Another CPU changed the entry first: give back what was made for it. */
  private lostRace(giveBack: () => void): void {
    giveBack();
    this.memory.count('faultRacesLost');
  }
}
