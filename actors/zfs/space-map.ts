/**
 * The free space of a pool's data area (ZFS's metaslab space maps, kept in memory): a sorted list
 * of free extents, allocated first-fit from a cursor that moves on (so that a new transaction group
 * writes after the last, as ZFS's allocator tends to) and merged again when freed.
 *
 * ZFS writes its space maps to disk; this pool rebuilds its map at import instead, by walking the
 * tree from the uberblock and claiming every block it finds (`claim`). That costs a walk of the
 * metadata at import, and in exchange nothing about free space can be lost or corrupted on disk.
 *
 * All offsets and sizes are bytes, whole multiples of the unit (the pool's sector size).
 *
 * @example
 * ```ts
 * const space = new SpaceMap(512 << 10, 60 << 20, 4096); // the data area between the labels
 * const at = space.allocate(8192);                         // an offset, or -1 when full
 * space.free(at, 8192);
 * ```
 */
import { assert } from '../../ground/assert.js';

interface Extent {
  start: number;
  end: number;
}

export class SpaceMap {
  /** Free extents, sorted by start, never touching (touching extents are merged). */
  private readonly extents: Extent[];
  /** Where the next first-fit search starts: the end of the last allocation. */
  private cursor: number;
  /** Bytes free. */
  freeBytes: number;
  /** Changes to the extents so far, and the last `roomFor` answer with the count it was worked out at. */
  private changes = 0;
  private roomCache = { changes: -1, largestBytes: 0, room: 0 };

  constructor(
    readonly startBytes: number,
    readonly endBytes: number,
    readonly unitBytes: number,
  ) {
    assert(Number.isInteger(unitBytes) && unitBytes > 0 && (unitBytes & (unitBytes - 1)) === 0, 'the unit is a power of two');
    assert(startBytes % unitBytes === 0 && endBytes % unitBytes === 0 && startBytes <= endBytes, 'the area is whole units');
    this.extents = startBytes < endBytes ? [{ start: startBytes, end: endBytes }] : [];
    this.cursor = startBytes;
    this.freeBytes = endBytes - startBytes;
  }

  /**
   * Bytes that blocks of at most `largestBytes` each find room in: the free extents at least that
   * long, less `largestBytes` each. Smaller holes, which a pool's frees leave between blocks, count
   * for nothing here. A block taken at the start of such an extent leaves it that long still, or
   * leaves less than `largestBytes` of it, which is not counted: it takes at most its own bytes from
   * this figure, plus once per extent what is left of it. A block taken inside an extent (a first
   * fit that starts from a place inside one) may also leave a piece too short before it: at most
   * `largestBytes` more, once per place searches start from, since the next search from there finds
   * the rest of the extent at its start. While the figure is above zero some extent holds the block.
   */
  roomFor(largestBytes: number): number {
    // Asked at every change of a pool, often twice, while the map changes only at commits: the walk
    // over the extents is kept until the map or the size asked for changes.
    const cached = this.roomCache;
    if (cached.changes === this.changes && cached.largestBytes === largestBytes) return cached.room;
    let room = 0;
    for (const extent of this.extents) if (extent.end - extent.start >= largestBytes) room += extent.end - extent.start - largestBytes;
    this.roomCache = { changes: this.changes, largestBytes, room };
    return room;
  }

  /** Bytes of the area in use. */
  get usedBytes(): number {
    return this.endBytes - this.startBytes - this.freeBytes;
  }

  /**
   * Takes `bytes` (whole units) and returns where, or −1 when no free extent is that long. The search
   * is first fit from `fromBytes`, wrapping round; by default from where the last such search ended.
   */
  allocate(bytes: number, fromBytes?: number): number {
    this.checkLength(bytes);
    const cursor = fromBytes ?? this.cursor;
    // The extent holding the cursor (from the cursor on), those after it, then from the start up to
    // and including that extent (its part before the cursor).
    const from = Math.max(0, this.indexAtOrAfter(cursor + 1) - 1);
    for (let pass = 0; pass < 2; pass++) {
      const [first, last] = pass === 0 ? [from, this.extents.length] : [0, Math.min(from + 1, this.extents.length)];
      for (let index = first; index < last; index++) {
        const extent = this.extents[index]!;
        const start = pass === 0 && extent.start < cursor ? Math.min(cursor, extent.end) : extent.start;
        if (extent.end - start < bytes) continue;
        this.take(index, start, start + bytes);
        if (fromBytes === undefined) this.cursor = start + bytes;
        return start;
      }
    }
    return -1;
  }

  /** Gives back `[offset, offset + bytes)`, which must be in use. */
  free(offset: number, bytes: number): void {
    this.checkRange(offset, bytes);
    const end = offset + bytes;
    const index = this.indexAtOrAfter(offset);
    const before = this.extents[index - 1];
    const after = this.extents[index];
    if ((before !== undefined && before.end > offset) || (after !== undefined && after.start < end))
      throw new RangeError(`free of [${offset}, ${end}): part of it is free already`);
    const joinsBefore = before !== undefined && before.end === offset;
    const joinsAfter = after !== undefined && after.start === end;
    if (joinsBefore && joinsAfter) {
      before.end = after.end;
      this.extents.splice(index, 1);
    } else if (joinsBefore) before.end = end;
    else if (joinsAfter) after.start = offset;
    else this.extents.splice(index, 0, { start: offset, end });
    this.freeBytes += bytes;
    this.changes++;
  }

  /**
   * Marks `[offset, offset + bytes)` in use (a block found at import); false when any of it was in
   * use already, or it is no range of whole units inside the area (what a damaged pointer would say).
   */
  claim(offset: number, bytes: number): boolean {
    if (!this.isRange(offset, bytes)) return false;
    const index = this.indexAtOrAfter(offset + 1) - 1;
    const extent = this.extents[index];
    if (extent === undefined || extent.start > offset || extent.end < offset + bytes) return false;
    this.take(index, offset, offset + bytes);
    return true;
  }

  /** Whether all of `[offset, offset + bytes)` is free (tests and assertions). */
  isFree(offset: number, bytes: number): boolean {
    const index = this.indexAtOrAfter(offset + 1) - 1;
    const extent = this.extents[index];
    return extent !== undefined && extent.start <= offset && extent.end >= offset + bytes;
  }

  /** Cuts `[start, end)` out of extent `index`, which holds it. */
  private take(index: number, start: number, end: number): void {
    const extent = this.extents[index]!;
    assert(extent.start <= start && end <= extent.end, 'take from an extent that holds the range');
    if (extent.start === start && extent.end === end) this.extents.splice(index, 1);
    else if (extent.start === start) extent.start = end;
    else if (extent.end === end) extent.end = start;
    else {
      this.extents.splice(index + 1, 0, { start: end, end: extent.end });
      extent.end = start;
    }
    this.freeBytes -= end - start;
    this.changes++;
  }

  /** The index of the first extent whose start is ≥ `offset` (binary search). */
  private indexAtOrAfter(offset: number): number {
    let low = 0;
    let high = this.extents.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.extents[middle]!.start < offset) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private checkLength(bytes: number): void {
    if (!Number.isSafeInteger(bytes) || bytes <= 0 || bytes % this.unitBytes !== 0)
      throw new RangeError(`${bytes} bytes is not a positive whole number of ${this.unitBytes}-byte units`);
  }

  private checkRange(offset: number, bytes: number): void {
    if (!this.isRange(offset, bytes)) throw new RangeError(`[${offset}, ${offset + bytes}) is not whole units inside [${this.startBytes}, ${this.endBytes})`);
  }

  private isRange(offset: number, bytes: number): boolean {
    const whole = (value: number) => Number.isSafeInteger(value) && value % this.unitBytes === 0;
    return whole(offset) && whole(bytes) && bytes > 0 && offset >= this.startBytes && offset + bytes <= this.endBytes;
  }
}
