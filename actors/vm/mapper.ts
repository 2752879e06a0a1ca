/**
 * The single writer of the address space's structure (OSv's mmu.cc range operations): map, unmap,
 * protect, move, and collect dirty pages. It runs on the VM's CPU, inside the VM actor; other CPUs
 * only read the tables and populate reserved entries (page-tables.ts). Each operation walks the
 * range over the tables and changes entries by compare-exchange, splitting a 2 MiB or 1 GiB entry
 * that the range covers only in part.
 *
 * Taking a translation away bumps the shared generation, so every CPU's TLB flushes before its next
 * access, and the frames it freed wait (`retired`) until every other CPU has acknowledged that
 * generation between two turns: only then can no access or view of theirs still reach them (RCU's
 * grace period). `release` hands them back to the allocator.
 *
 * @example
 * ```ts
 * const mapper = new Mapper(tables, cache, access);
 * const address = mapper.map(1 << 20, { protection: 'read-write' });
 * mapper.protect(address, 4096, 'read');
 * mapper.unmap(address, 1 << 20);
 * mapper.release(mapper.generation); // one CPU: nothing to wait for
 * ```
 */
import { assert } from '../../ground/assert.js';
import { OutOfMemoryError, VmArgumentError } from './errors.js';
import type { FrameCache } from './frame-cache.js';
import { blockHoldingBytesMin, gigaPageBytes, hugePageBytes, levelSpanBytes, pageBytes, tableEntriesCount, virtualAddressBits } from './limits.js';
import type { MemoryAccess } from './memory-access.js';
import { dirty, entryOf, frameOf, hugeAllowed, isPresent, isTable, leaf, noAccess, present, protectionBits, reserved, writable } from './page-entry.js';
import { orderOfLevel, type PageTables } from './page-tables.js';
import { generationWord } from './physical-memory.js';
import { type Protection, Regions } from './regions.js';

/** How a mapping is made. */
export interface MapOptions {
  /** What its pages allow (default 'read-write'). */
  readonly protection?: Protection;
  /** Back every page now (MAP_POPULATE) rather than at first touch (default false). */
  readonly populate?: boolean;
  /** Back aligned 2 MiB and 1 GiB blocks with huge pages (default true; false is OSv's `small`). */
  readonly huge?: boolean;
  /** Put a guard page (no access) right below and right above it (default false). */
  readonly guard?: boolean;
  /** Map exactly here (a multiple of 4 KiB), or fail if anything is mapped in the way (MAP_FIXED_NOREPLACE). */
  readonly at?: number;
}

/** A range of dirty pages: its first address and its length in bytes. */
export interface DirtyRange {
  readonly address: number;
  readonly bytes: number;
}

/** Frames waiting out a grace period: freed by the change that made `generation`. */
interface Retired {
  readonly generation: number;
  readonly frames: number[];
  readonly orders: number[];
}

type Visit = (word: number, entry: number, level: number, start: number) => void;

const addressEnd = 2 ** virtualAddressBits;
/** The frame bits of an entry, where a reserved entry carries its stamp. */
const reservedStampMask = 2 ** 23 - 1;
const protections: readonly Protection[] = ['none', 'read', 'read-write'];

export class Mapper {
  readonly regions = new Regions();
  /** Batches of retired frames, oldest first; `retired[releasedBatches ..]` still wait. */
  private readonly retired: Retired[] = [];
  private releasedBatches = 0;
  private retiredCount = 0;
  private retiring: Retired | null = null;
  private readonly words: Int32Array;

  constructor(
    private readonly tables: PageTables,
    private readonly cache: FrameCache,
    private readonly access: MemoryAccess,
  ) {
    this.words = tables.words;
  }

  /** The generation of the last change that took translations away. */
  get generation(): number {
    return Atomics.load(this.tables.memory.words, generationWord);
  }

  /** Frames retired and not yet released, waiting for the other CPUs to acknowledge. */
  get retiredFrames(): number {
    return this.retiredCount;
  }

  /** Maps `length` bytes (a positive multiple of 4 KiB) and returns the address of the mapping. */
  map(length: number, options: MapOptions = {}): number {
    checkLength(length);
    const protection = options.protection ?? 'read-write';
    if (!protections.includes(protection)) throw new VmArgumentError(`protection must be one of ${protections.join(', ')}, got ${String(protection)}`);
    const huge = options.huge ?? true;
    const guard = options.guard === true ? pageBytes : 0;
    this.regions.checkRoom(guard > 0 ? 3 : 1);
    let start: number;
    let holdEnd = 0;
    if (options.at !== undefined) {
      start = options.at;
      checkAddress(start);
      if (start - guard < 0 || start + length + guard > addressEnd)
        throw new VmArgumentError(`[0x${start.toString(16)}, +${length}) does not fit the address space`);
      if (this.regions.overlaps(start - guard, start + length + guard)) {
        throw new VmArgumentError(`a fixed mapping at 0x${start.toString(16)} of ${length} bytes overlaps a mapping`);
      }
    } else {
      const holdsBlocks = guard === 0 && length >= blockHoldingBytesMin;
      const alignment = length >= gigaPageBytes && huge ? gigaPageBytes : holdsBlocks || (huge && length >= hugePageBytes) ? hugePageBytes : pageBytes;
      // The mapping itself is aligned; its guard page sits just below it.
      const found = this.regions.findHole(holdsBlocks ? alignUp(length, hugePageBytes) : length + 2 * guard, alignment, (alignment - guard) % alignment);
      if (found < 0) throw this.outOfMemory(length);
      start = found + guard;
      if (holdsBlocks) holdEnd = start + alignUp(length, hugePageBytes);
    }
    const end = start + length;
    this.regions.add({ start, end, protection, huge, guard: false, ...(holdEnd > end ? { holdEnd } : {}) });
    if (guard > 0) for (const at of [start - guard, end]) this.regions.add({ start: at, end: at + guard, protection: 'none', huge: false, guard: true });
    try {
      this.reserve(start, end, flagsOf(protection), huge);
      if (guard > 0) for (const at of [start - guard, end]) this.reserve(at, at + guard, reserved | noAccess, false);
      if (options.populate === true && protection !== 'none') {
        for (let at = start; at < end; at += pageBytes) this.access.translate(at, false);
      }
    } catch (error) {
      // Out of memory half way (a table, or a page to populate): the mapping goes, whole, guards
      // and all, so nothing is left half made and a retry starts clean.
      this.unmap(start, length);
      throw error;
    }
    return start;
  }

  /**
   * Unmaps `[address, address + length)`: its frames go back once every CPU has let go. A guard page
   * goes with the page it guards, the one next to it.
   */
  unmap(address: number, length: number): void {
    checkAddress(address);
    checkLength(length);
    // Cutting a hole in the middle of a region leaves two pieces of it.
    if (this.regions.within(address, address + length).some((region) => region.start < address && region.end > address + length)) this.regions.checkRoom(1);
    let start = address;
    let end = address + length;
    if (this.regions.within(start - pageBytes, start)[0]?.guard === true) start -= pageBytes;
    if (this.regions.within(end, end + pageBytes)[0]?.guard === true) end += pageBytes;
    this.splitEdges(start, end);
    this.regions.remove(start, end);
    this.clear(start, end);
    this.endChange();
  }

  /** Sets the protection of `[address, address + length)`, which must lie within mappings. */
  protect(address: number, length: number, protection: Protection): void {
    checkAddress(address);
    checkLength(length);
    if (!protections.includes(protection)) throw new VmArgumentError(`protection must be one of ${protections.join(', ')}, got ${String(protection)}`);
    const end = address + length;
    if (!this.regions.covers(address, end)) throw new VmArgumentError(`[0x${address.toString(16)}, +${length}) is not all mapped`);
    // Protecting the middle of a region leaves it in three.
    this.regions.checkRoom(2);
    const bits = flagsOf(protection) & protectionBits;
    this.splitEdges(address, end);
    this.walk(address, end, false, false, (word, _entry, level) => this.reprotect(word, level, bits));
    this.regions.protect(address, end, protection);
    this.endChange();
  }

  /** Sets protection `bits` on entry `word` of `level`, and on every entry of a table another CPU made of it meanwhile. */
  private reprotect(word: number, level: number, bits: number): void {
    let current = Atomics.load(this.words, word);
    for (;;) {
      if (current === 0) return;
      if (isTable(current, level)) {
        const table = frameOf(current);
        for (let index = 0; index < tableEntriesCount; index++) this.reprotect(this.tables.entryWord(table, index), level - 1, bits);
        return;
      }
      const seen = Atomics.compareExchange(this.words, word, current, (current & ~protectionBits) | bits);
      if (seen === current) return;
      current = seen;
    }
  }

  /**
   * Splits the blocks that `[start, end)` covers only in part, and changes nothing else: the one step
   * of unmap, protect and move that needs frames, done first, so that running out of them leaves
   * everything as it was.
   */
  private splitEdges(start: number, end: number): void {
    // Only a block holding the first or the last byte can be covered in part: walk those two paths.
    for (const address of [start, end - 1]) {
      let table = this.tables.root;
      for (let level = 3; level >= 0; level--) {
        const word = this.tables.entryWord(table, this.tables.indexAt(address, level));
        let entry = Atomics.load(this.words, word);
        const span = levelSpanBytes[level]!;
        const blockStart = Math.floor(address / span) * span;
        const whole = start <= blockStart && blockStart + span <= end;
        while (entry !== 0 && !isTable(entry, level) && !whole && level > 0) {
          this.split(word, entry, level);
          entry = Atomics.load(this.words, word);
        }
        if (!isTable(entry, level)) break;
        table = frameOf(entry);
      }
    }
  }

  /**
   * Moves the mapping `[address, address + length)` to a new address and returns it (mremap with
   * MREMAP_MAYMOVE): the entries are rewritten, no byte is copied; the old addresses fault from now on.
   * With `newLength`, it also shrinks (the tail is unmapped first) or grows (the new tail is mapped
   * like the mapping's last page). The new address keeps the old one's offset within the largest
   * block the length can hold (2 MiB or 1 GiB), so huge pages and reserved blocks move whole.
   */
  move(address: number, length: number, newLength = length): number {
    checkAddress(address);
    checkLength(length);
    checkLength(newLength);
    if (!this.regions.covers(address, address + length)) throw new VmArgumentError(`[0x${address.toString(16)}, +${length}) is not all mapped`);
    // Moving the middle of a region leaves two pieces of it behind.
    this.regions.checkRoom(3);
    if (newLength < length) this.unmap(address + newLength, length - newLength);
    const kept = Math.min(length, newLength);
    const end = address + kept;
    // Whole 2 MiB blocks that nothing else uses move as whole tables (see blockHoldingBytesMin).
    const blockStart = Math.floor(address / hugePageBytes) * hugePageBytes;
    const blockEnd = alignUp(end, hugePageBytes);
    const wholeBlocks =
      newLength === length &&
      kept < gigaPageBytes &&
      this.regions.holding(blockStart, blockEnd).every((region) => region.start >= address && region.end <= end);
    // An entry moves whole, so each block keeps its alignment: the target is congruent to the
    // address modulo the largest block the range can hold.
    const alignment = kept >= gigaPageBytes ? gigaPageBytes : kept >= hugePageBytes || wholeBlocks ? hugePageBytes : pageBytes;
    const hole = wholeBlocks
      ? this.regions.findHole(blockEnd - blockStart, hugePageBytes, 0)
      : this.regions.findHole(newLength, alignment, address % alignment);
    if (hole < 0) throw this.outOfMemory(newLength);
    const target = wholeBlocks ? hole + (address - blockStart) : hole;
    const moved = this.regions.within(address, end);
    const walked = wholeBlocks ? [blockStart, blockEnd] : [address, end];
    // The steps that need frames first, so that running out of them changes nothing: the source's
    // edges split, and the destination's tables made (they are pruned again if a frame is missing).
    this.splitEdges(walked[0]!, walked[1]!);
    try {
      this.walk(walked[0]!, walked[1]!, false, wholeBlocks, (_word, entry, level, start) => {
        if (entry !== 0) this.entryWordAt(start - address + target, level);
      });
    } catch (error) {
      this.prune(target - (address - walked[0]!), target + (walked[1]! - address));
      throw error;
    }
    // Consecutive entries land in one destination table: look it up once per table.
    let tableOf = -1;
    let tableLevel = -1;
    let destinationBase = 0;
    this.walk(walked[0]!, walked[1]!, false, wholeBlocks, (word, _entry, level, start) => {
      // Taken by exchange: a CPU populating it at this moment either finished first (and its frame
      // moves) or finds it gone. A whole table moves with whatever CPUs install in it meanwhile.
      const taken = Atomics.exchange(this.words, word, 0);
      if (taken === 0) return;
      const high = Atomics.exchange(this.words, word + 1, 0);
      const destinationStart = start - address + target;
      const table = Math.floor(destinationStart / (levelSpanBytes[level]! * tableEntriesCount));
      if (table !== tableOf || level !== tableLevel) {
        tableOf = table;
        tableLevel = level;
        destinationBase = this.entryWordAt(destinationStart, level) - 2 * this.tables.indexAt(destinationStart, level);
      }
      const destination = destinationBase + 2 * this.tables.indexAt(destinationStart, level);
      assert(this.words[destination] === 0, 'a move writes into a hole');
      // Nobody knows the new addresses before this change is answered: plain stores, high word first.
      this.words[destination + 1] = high;
      this.words[destination] = taken;
    });
    this.prune(walked[0]!, walked[1]!);
    this.regions.remove(address, end);
    // A guard page goes with the page it guarded: those moved away (map again with `guard` for new ones).
    for (const at of [address - pageBytes, end]) {
      if (this.regions.within(at, at + pageBytes)[0]?.guard === true) {
        this.regions.remove(at, at + pageBytes);
        this.clear(at, at + pageBytes);
      }
    }
    for (const { holdEnd, ...region } of moved) {
      const start = Math.max(region.start, address) - address + target;
      const stop = Math.min(region.end, end) - address + target;
      // A region moved with its blocks keeps what it held past its end.
      const keepsHold = wholeBlocks && holdEnd !== undefined && region.end <= end;
      this.regions.add({ ...region, start, end: stop, ...(keepsHold ? { holdEnd: holdEnd - address + target } : {}) });
    }
    this.endChange();
    if (newLength > length) {
      const { holdEnd: _held, ...last } = moved[moved.length - 1]!;
      this.regions.add({ ...last, start: target + length, end: target + newLength, guard: false });
      this.reserve(target + length, target + newLength, flagsOf(last.protection), last.huge);
    }
    return target;
  }

  /**
   * The dirty pages of `[address, address + length)`, as ranges (a huge page is one range), and,
   * with `clear`, their dirty bits cleared, so the next collection finds only what was written since.
   */
  collectDirty(address: number, length: number, clear = true): DirtyRange[] {
    checkAddress(address);
    checkLength(length);
    const ranges: DirtyRange[] = [];
    this.walk(address, address + length, false, false, (word, entry, level, start) => {
      if (!isPresent(entry) || (Atomics.load(this.words, word + 1) & dirty) === 0) return;
      if (clear) Atomics.and(this.words, word + 1, ~dirty);
      const last = ranges[ranges.length - 1];
      const bytes = levelSpanBytes[level]!;
      if (last !== undefined && last.address + last.bytes === start) ranges[ranges.length - 1] = { address: last.address, bytes: last.bytes + bytes };
      else ranges.push({ address: start, bytes });
    });
    // A TLB that remembers a page as dirty would not mark it again.
    if (clear && ranges.length > 0) this.endChange();
    return ranges;
  }

  /** Gives back the frames retired by changes up to `acknowledged`, the generation every other CPU has seen. */
  release(acknowledged: number): number {
    let released = 0;
    const retired = this.retired;
    while (this.releasedBatches < retired.length && generationReached(acknowledged, retired[this.releasedBatches]!.generation)) {
      const batch = retired[this.releasedBatches++]!;
      for (let i = 0; i < batch.frames.length; i++) {
        const order = batch.orders[i]!;
        if (order === 0) this.cache.give(batch.frames[i]!);
        else this.tables.allocator.free(batch.frames[i]!, order);
        released += 2 ** order;
      }
    }
    // Dropped in one go, not one shift per batch: a long wait leaves many.
    if (this.releasedBatches === retired.length || this.releasedBatches > 1_024) {
      retired.splice(0, this.releasedBatches);
      this.releasedBatches = 0;
    }
    this.retiredCount -= released;
    return released;
  }

  // The walk.

  /** Reserves `[start, end)`, a hole, with `flags`; aligned blocks of 2 MiB and 1 GiB in one entry each. */
  private reserve(start: number, end: number, flags: number, huge: boolean): void {
    // The generation, stamped in the frame bits a reserved entry does not use: an entry unmapped and
    // reserved again is never the value a slow CPU read before, so its populate cannot land in the
    // new mapping (ABA).
    const stamped = entryOf(this.generation & reservedStampMask, flags);
    this.walk(start, end, true, false, (word, entry, level) => {
      assert(entry === 0, 'a mapping is reserved over a hole');
      Atomics.store(this.words, word + 1, 0);
      Atomics.store(this.words, word, stamped | (huge && level > 0 ? hugeAllowed : 0));
    });
  }

  /** Takes every entry of `[start, end)` away, retiring its frames, and frees the tables left empty. */
  private clear(start: number, end: number): void {
    this.walk(start, end, false, false, (word, _entry, level) => this.take(word, level));
    this.prune(start, end);
  }

  /**
   * Takes entry `word` of `level` away by exchange, retiring what it held: whatever a CPU populating
   * it installed meanwhile is taken too, and a table that another CPU made of a reserved block since
   * the walk read it is taken with everything in it.
   */
  private take(word: number, level: number): void {
    const taken = Atomics.exchange(this.words, word, 0);
    if (taken === 0) return;
    Atomics.store(this.words, word + 1, 0);
    if (isTable(taken, level)) {
      const table = frameOf(taken);
      for (let index = 0; index < tableEntriesCount; index++) this.take(this.tables.entryWord(table, index), level - 1);
      this.retire(table, 0);
    } else if (isPresent(taken)) {
      this.retire(frameOf(taken), orderOfLevel[level]!);
    }
  }

  /**
   * Calls `visit` for each entry that `[start, end)` covers whole, at the highest level it can (a
   * page or a reserved or huge block, and with `visitTables` a table), else it descends into
   * tables, creating them where `create` says, and splits a block the range covers only in part.
   */
  private walk(start: number, end: number, create: boolean, visitTables: boolean, visit: Visit): void {
    this.walkTable(this.tables.root, 3, 0, start, end, create, visitTables, visit);
  }

  private walkTable(table: number, level: number, base: number, start: number, end: number, create: boolean, visitTables: boolean, visit: Visit): void {
    const span = levelSpanBytes[level]!;
    const first = Math.floor((Math.max(start, base) - base) / span);
    const last = Math.floor((Math.min(end, base + span * tableEntriesCount) - 1 - base) / span);
    for (let index = first; index <= last; index++) {
      const entryStart = base + index * span;
      const whole = start <= entryStart && entryStart + span <= end;
      const word = this.tables.entryWord(table, index);
      for (;;) {
        const entry = Atomics.load(this.words, word);
        // Tables move whole at level 1 only: a move keeps 2 MiB alignment, not 1 GiB.
        if (isTable(entry, level) && !(visitTables && whole && level === 1)) {
          this.walkTable(frameOf(entry), level - 1, entryStart, start, end, create, visitTables, visit);
          break;
        }
        // Level 3 entries span 512 GiB: always tables, never blocks.
        if ((whole && level < 3) || level === 0) {
          visit(word, entry, level, entryStart);
          break;
        }
        if (entry === 0) {
          if (!create) break;
          const child = this.tables.newTable(this.cache, 0);
          if (child < 0) throw this.outOfMemory(pageBytes);
          if (Atomics.compareExchange(this.words, word, 0, entryOf(child, present)) !== 0) this.cache.give(child);
          continue;
        }
        this.split(word, entry, level);
      }
    }
  }

  /** The error for a request of `bytes` that the free frames cannot meet. */
  private outOfMemory(bytes: number): OutOfMemoryError {
    return new OutOfMemoryError(bytes, this.tables.allocator.freeFrames() * pageBytes);
  }

  /** Splits block `entry` of `level` (reserved, or a huge page) into a table of entries one level down. */
  private split(word: number, entry: number, level: number): void {
    if ((entry & reserved) !== 0) {
      if (!this.tables.splitReserved(this.cache, word, entry, level)) throw this.outOfMemory(pageBytes);
      return;
    }
    assert(isPresent(entry) && (entry & leaf) !== 0, 'only a reserved block or a huge page splits');
    const table = this.tables.newTableOfPages(this.cache, entry, level, Atomics.load(this.words, word + 1));
    if (table < 0) throw this.outOfMemory(pageBytes);
    if (Atomics.compareExchange(this.words, word, entry, entryOf(table, present)) !== entry) {
      this.cache.give(table);
      return;
    }
    this.tables.memory.count('splits');
    // A CPU that wrote the huge page since its bits were copied marked the old entry: hand those
    // marks down too, so no dirty page goes unreported.
    const marks = Atomics.exchange(this.words, word + 1, 0);
    if (marks !== 0) for (let index = 0; index < tableEntriesCount; index++) Atomics.or(this.words, this.tables.entryWord(table, index) + 1, marks);
  }

  /** The word of the entry of `level` for `address`, creating tables down to it. */
  private entryWordAt(address: number, level: number): number {
    let table = this.tables.root;
    for (let at = 3; ; at--) {
      const word = this.tables.entryWord(table, this.tables.indexAt(address, at));
      if (at === level) return word;
      let entry = Atomics.load(this.words, word);
      if (entry === 0) {
        const child = this.tables.newTable(this.cache, 0);
        if (child < 0) throw this.outOfMemory(pageBytes);
        Atomics.store(this.words, word, entryOf(child, present));
        entry = entryOf(child, present);
      }
      assert(isTable(entry, at), 'a move descends through tables only');
      table = frameOf(entry);
    }
  }

  /** Frees the tables under `[start, end)` that no entry uses any more. */
  private prune(start: number, end: number): void {
    this.pruneTable(this.tables.root, 3, 0, start, end);
  }

  /** Prunes below `table`; whether `table` is now empty. */
  private pruneTable(table: number, level: number, base: number, start: number, end: number): boolean {
    const span = levelSpanBytes[level]!;
    const first = Math.floor((Math.max(start, base) - base) / span);
    const last = Math.floor((Math.min(end, base + span * tableEntriesCount) - 1 - base) / span);
    for (let index = first; index <= last; index++) {
      const word = this.tables.entryWord(table, index);
      const entry = Atomics.load(this.words, word);
      if (!isTable(entry, level)) continue;
      if (this.pruneTable(frameOf(entry), level - 1, base + index * span, start, end) && Atomics.compareExchange(this.words, word, entry, 0) === entry) {
        this.retire(frameOf(entry), 0);
      }
    }
    const first0 = this.tables.entryWord(table, 0);
    for (let i = 0; i < tableEntriesCount; i++) if (this.words[first0 + 2 * i] !== 0) return false;
    return true;
  }

  private retire(frame: number, order: number): void {
    this.retiredCount += 2 ** order;
    if (this.retiring === null) this.retiring = { generation: 0, frames: [], orders: [] };
    this.retiring.frames.push(frame);
    this.retiring.orders.push(order);
  }

  /** Ends a change that took translations away: a new generation, and its frames wait for it. */
  private endChange(): void {
    const generation = Atomics.add(this.tables.memory.words, generationWord, 1) + 1;
    this.tables.memory.count('shootdowns');
    if (this.retiring !== null) {
      this.retired.push({ ...this.retiring, generation });
      this.retiring = null;
    }
  }
}

/**
 * Whether generation `seen` is `generation` or later. Generations are 32-bit and wrap after 2^31
 * changes (hours at hand-off rates): compared by their difference, as TCP compares sequence numbers.
 */
export function generationReached(seen: number, generation: number): boolean {
  return ((seen - generation) | 0) >= 0;
}

function flagsOf(protection: Protection): number {
  return protection === 'none' ? reserved | noAccess : protection === 'read' ? reserved : reserved | writable;
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function checkAddress(address: number): void {
  if (!Number.isSafeInteger(address) || address < 0 || address >= addressEnd || address % pageBytes !== 0) {
    throw new VmArgumentError(`an address must be a multiple of 4 KiB within the 48-bit address space, got ${address}`);
  }
}

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length <= 0 || length % pageBytes !== 0) {
    throw new VmArgumentError(`a length must be a positive multiple of 4 KiB, got ${length}`);
  }
}
