/**
 * Access to virtual memory from one CPU: reads, writes and zero-copy views at virtual addresses,
 * translated through the shared page tables and the CPU's own software TLB. A miss walks the four
 * levels; an entry that is reserved but not backed is populated on the spot, lock-free (page-tables.ts);
 * an address the VM does not allow throws SegmentationFault, which, inside an actor's turn, crashes
 * that actor alone.
 *
 * The TLB is direct-mapped by virtual page. It is flushed whenever the shared generation moved: the
 * VM bumps it with every change that takes a translation away or narrows it (unmap, protect, move,
 * clearing dirty bits), and an access compares it first, one load of a line that rarely changes.
 * Frames taken away are not reused before every CPU has acknowledged the new generation between two
 * turns (see mapper.ts), so an access or a view that began before the change never sees another
 * mapping's bytes.
 *
 * Views are borrows: a view is valid for the rest of the current turn. Holding one across an await,
 * or past a turn that unmapped it, reads memory the VM may have given to someone else.
 *
 * @example
 * ```ts
 * const memory = kernel.subsystem(virtualMemory).memory;  // this CPU's access
 * memory.writeU32(address, 7);
 * memory.readU32(address);                      // 7
 * const bytes = memory.view(address, 4096);     // zero-copy, for this turn
 * ```
 */
import { VmArgumentError, SegmentationFault, type AccessKind } from './errors.js';
import type { FrameCache } from './frame-cache.js';
import { pageBytes, tlbEntriesCount, virtualAddressBits, levelSpanBytes } from './limits.js';
import { accessed, dirty, frameOf, isPresent, leaf, noAccess, reserved, writable } from './page-entry.js';
import type { PageTables } from './page-tables.js';
import { generationWord } from './physical-memory.js';
import { OutOfMemoryError } from './errors.js';

const addressEnd = 2 ** virtualAddressBits;
const tlbMask = tlbEntriesCount - 1;
// Typed accesses use the host's byte order; every platform Node runs on here is little-endian.
const littleEndian = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/** TLB hits and misses of one CPU. */
export interface TlbCounters {
  hits: number;
  misses: number;
  flushes: number;
}

export class MemoryAccess {
  readonly tlb: TlbCounters = { hits: 0, misses: 0, flushes: 0 };
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private generation: number;
  /** Per slot: the virtual page it translates (NaN: empty), its frame's byte address, and whether a write needs no fault. */
  private readonly tags = new Float64Array(tlbEntriesCount).fill(Number.NaN);
  private readonly bases = new Float64Array(tlbEntriesCount);
  private readonly writeReady = new Uint8Array(tlbEntriesCount);

  constructor(
    private readonly tables: PageTables,
    private readonly cache: FrameCache,
  ) {
    if (!littleEndian) throw new Error('the VM reads typed values in little-endian order, and this host is big-endian');
    const memory = tables.memory;
    this.control = memory.words;
    this.bytes = memory.bytes;
    this.u32 = new Uint32Array(memory.buffers.data);
    this.i32 = new Int32Array(memory.buffers.data);
    this.f64 = new Float64Array(memory.buffers.data);
    this.generation = memory.generation();
  }

  get cpu(): number {
    return this.cache.cpu;
  }

  readU8(address: number): number {
    return this.bytes[this.translate(address, false)]!;
  }

  writeU8(address: number, value: number): void {
    this.bytes[this.translate(address, true)] = value;
  }

  /** Reads the 32-bit unsigned integer at `address`, a multiple of 4. */
  readU32(address: number): number {
    return this.u32[this.translate(aligned(address, 4), false) >>> 2]!;
  }

  writeU32(address: number, value: number): void {
    this.u32[this.translate(aligned(address, 4), true) >>> 2] = value;
  }

  /**
   * Atomically reads the 32-bit signed integer at `address`, a multiple of 4: sequentially
   * consistent with every atomic access of any CPU to the same word (Atomics.load on the frame).
   */
  loadI32(address: number): number {
    return Atomics.load(this.i32, this.translate(aligned(address, 4), false) >>> 2);
  }

  /** Atomically writes `value` as a 32-bit signed integer at `address`, a multiple of 4. */
  storeI32(address: number, value: number): void {
    Atomics.store(this.i32, this.translate(aligned(address, 4), true) >>> 2, value);
  }

  /** Atomically writes `value` at `address`, a multiple of 4, and returns what the word held. */
  exchangeI32(address: number, value: number): number {
    return Atomics.exchange(this.i32, this.translate(aligned(address, 4), true) >>> 2, value);
  }

  /**
   * Atomically writes `replacement` at `address`, a multiple of 4, if the word holds `expected`;
   * returns what it held (equal to `expected` when the write happened). Translated as a write even
   * when it fails, as a CPU's CAS needs the line writable: a read-only page faults either way.
   */
  compareExchangeI32(address: number, expected: number, replacement: number): number {
    return Atomics.compareExchange(this.i32, this.translate(aligned(address, 4), true) >>> 2, expected, replacement);
  }

  /** Reads the float64 at `address`, a multiple of 8. */
  readF64(address: number): number {
    return this.f64[this.translate(aligned(address, 8), false) / 8]!;
  }

  writeF64(address: number, value: number): void {
    this.f64[this.translate(aligned(address, 8), true) / 8] = value;
  }

  /** A copy of `length` bytes from `address` on, across pages. */
  read(address: number, length: number): Uint8Array {
    const out = new Uint8Array(checkLength(length));
    this.copy(address, length, (physical, at, count) => out.set(this.bytes.subarray(physical, physical + count), at), false);
    return out;
  }

  /** Writes `data` at `address` on, across pages. */
  write(address: number, data: Uint8Array): void {
    this.copy(address, data.length, (physical, at, count) => this.bytes.set(data.subarray(at, at + count), physical), true);
  }

  /**
   * A zero-copy view of `length` bytes at `address`, for this turn: the pages must be backed by
   * physically contiguous frames (a huge page always is); `write` says whether it will be written,
   * which checks the pages are writable and marks them dirty. Throws VmArgumentError for a range
   * whose frames are not contiguous.
   */
  view(address: number, length: number, write = false): Uint8Array {
    checkLength(length);
    let start = -1;
    let expected = -1;
    this.copy(
      address,
      length,
      (physical, _at, count) => {
        if (start < 0) start = physical;
        else if (physical !== expected)
          throw new VmArgumentError(`the ${length} bytes at 0x${address.toString(16)} are not backed by contiguous frames: copy them with read()`);
        expected = physical + count;
      },
      write,
    );
    return length === 0 ? new Uint8Array(0) : this.bytes.subarray(start, start + length);
  }

  /** Forgets every translation (the VM's shootdown); the next access of each page walks the tables. */
  flush(): void {
    this.tags.fill(Number.NaN);
    this.generation = Atomics.load(this.control, generationWord);
    this.tlb.flushes++;
  }

  /** The generation this CPU's TLB reflects. */
  get seenGeneration(): number {
    return this.generation;
  }

  /**
   * The physical byte address of `address`, for an access of kind `write` or read: from the TLB, or
   * by walking the tables, populating a reserved page, or throwing SegmentationFault.
   */
  translate(address: number, write: boolean): number {
    if (!(Number.isInteger(address) && address >= 0 && address < addressEnd)) {
      throw new VmArgumentError(`${String(address)} is not an address: an integer within 0..2^${virtualAddressBits}`);
    }
    if (Atomics.load(this.control, generationWord) !== this.generation) this.flush();
    const page = Math.floor(address / pageBytes);
    const slot = page & tlbMask;
    if (this.tags[slot] === page && (!write || this.writeReady[slot] === 1)) {
      this.tlb.hits++;
      return this.bases[slot]! + (address - page * pageBytes);
    }
    this.tlb.misses++;
    return this.walk(address, page, slot, write);
  }

  private walk(address: number, page: number, slot: number, write: boolean): number {
    const tables = this.tables;
    const words = tables.words;
    let table = tables.root;
    let level = 3;
    for (;;) {
      const word = tables.entryWord(table, tables.indexAt(address, level));
      const entry = Atomics.load(words, word);
      if (entry === 0) return this.fault(address, write, 'unmapped');
      if ((entry & noAccess) !== 0) return this.fault(address, write, 'no-access');
      if (write && (entry & writable) === 0 && (level === 0 || (entry & (leaf | reserved)) !== 0)) return this.fault(address, write, 'read-only');
      if (isPresent(entry)) {
        if (level > 0 && (entry & leaf) === 0) {
          table = frameOf(entry);
          level--;
          continue;
        }
        // A page: mark it, and remember it.
        const marks = write ? accessed | dirty : accessed;
        if ((words[word + 1]! & marks) !== marks) Atomics.or(words, word + 1, marks);
        const base = frameOf(entry) * pageBytes + (page * pageBytes - Math.floor(address / levelSpanBytes[level]!) * levelSpanBytes[level]!);
        this.tags[slot] = page;
        this.bases[slot] = base;
        this.writeReady[slot] = (entry & writable) !== 0 && (words[word + 1]! & dirty) !== 0 ? 1 : 0;
        return base + (address - page * pageBytes);
      }
      // Reserved: back it, then read the entry again (another CPU may have been first).
      if (!tables.populate(this.cache, word, entry, level)) {
        throw new OutOfMemoryError(pageBytes, tables.allocator.freeFrames() * pageBytes);
      }
    }
  }

  private fault(address: number, write: boolean, why: 'unmapped' | 'no-access' | 'read-only'): never {
    this.tables.memory.count('segfaults');
    const access: AccessKind = write ? 'write' : 'read';
    throw new SegmentationFault(address, access, why);
  }

  /** Calls `each(physical, offset, count)` for the pieces of `[address, address + length)` page by page. */
  private copy(address: number, length: number, each: (physical: number, offset: number, count: number) => void, write: boolean): void {
    let done = 0;
    while (done < length) {
      const at = address + done;
      const count = Math.min(length - done, pageBytes - (at % pageBytes));
      each(this.translate(at, write), done, count);
      done += count;
    }
  }
}

function aligned(address: number, bytes: number): number {
  // The low 32 bits decide alignment; `%` on an address past 2^32 would be a floating-point remainder.
  if (((address >>> 0) & (bytes - 1)) !== 0)
    throw new VmArgumentError(`a ${bytes * 8}-bit access needs an address that is a multiple of ${bytes}, got 0x${address.toString(16)}`);
  return address;
}

function checkLength(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) throw new VmArgumentError(`a length is a non-negative integer, got ${length}`);
  return length;
}
