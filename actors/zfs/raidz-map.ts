/**
 * Where a block lies on a RAID-Z top-level device (ZFS's `vdev_raidz_map_alloc`). The device's
 * address space interleaves its children sector by sector: sector k of the space is sector k / N
 * of child k mod N. A block is allocated as a run of whole sectors there, so its columns land on
 * consecutive children, wrapping to the next row, and each child holds at most one column of it.
 *
 * A block of b data sectors on N children with p parity columns fills q = ⌊b / (N − p)⌋ whole rows
 * and r = b mod (N − p) sectors of one more. Its first p columns are parity, as long as the longest
 * data column; the data follows column by column, so each data column is one contiguous piece of
 * the block. The first r + p columns (the "big" ones) are one sector longer than the rest when r is
 * not 0. A block smaller than a row uses only r + p columns (ZFS's variable stripe width: a small
 * block costs its sectors and p more, never a full row). The allocation is rounded up to a multiple
 * of p + 1 sectors, so that the space left between blocks can always hold one.
 *
 * @example
 * ```ts
 * const geometry = { children: 5, parity: 1, sectorBytes: 4096 } as const;
 * raidzAllocatedBytes(geometry, 16384);     // 24576: 4 data sectors, 1 parity, rounded up to 2 sectors
 * raidzMap(geometry, 5 * 4096 * 200, 16384).columns; // [P on child 0, D0 on 1, D1 on 2, D2 on 3, D3 on 4]
 * ```
 */
import { assert } from '../../ground/assert.js';

export interface RaidzGeometry {
  /** Child devices, N: at least one more than the parity. */
  readonly children: number;
  readonly parity: 1 | 2;
  readonly sectorBytes: number;
}

/** One column of a block: a parity column, or a contiguous piece of the block's data. */
export interface RaidzColumn {
  /** The child device holding it. */
  readonly child: number;
  /** Where on that child, in bytes. */
  readonly offsetBytes: number;
  /** Its length on the child, in bytes. */
  readonly bytes: number;
  /** Where its piece starts in the block; −1 for a parity column. */
  readonly dataOffsetBytes: number;
}

export interface RaidzMap {
  /** The parity columns first, then the data columns in the block's order. */
  readonly columns: readonly RaidzColumn[];
  /** The length of the parity columns, the longest. */
  readonly parityBytes: number;
}

/** Throws RangeError for a geometry no RAID-Z device has. */
export function checkRaidzGeometry(geometry: RaidzGeometry): void {
  const { children, parity, sectorBytes } = geometry;
  if (parity !== 1 && parity !== 2) throw new RangeError(`RAID-Z parity is 1 or 2, got ${parity}`);
  if (!Number.isInteger(children) || children <= parity || children > 255)
    throw new RangeError(`a RAID-Z${parity} device has ${parity + 1} to 255 children, got ${children}`);
  if (!Number.isInteger(sectorBytes) || sectorBytes <= 0 || (sectorBytes & (sectorBytes - 1)) !== 0)
    throw new RangeError(`a sector is a power of two of bytes, got ${sectorBytes}`);
}

/** Bytes a block of `physicalBytes` (whole sectors) takes in the address space: data, parity and rounding. */
export function raidzAllocatedBytes(geometry: RaidzGeometry, physicalBytes: number): number {
  const { children, parity, sectorBytes } = geometry;
  const dataSectors = sectorsOf(physicalBytes, sectorBytes);
  const rows = Math.ceil(dataSectors / (children - parity));
  const sectors = dataSectors + parity * rows;
  return Math.ceil(sectors / (parity + 1)) * (parity + 1) * sectorBytes;
}

/** The columns of the block of `physicalBytes` (whole sectors) allocated at `offsetBytes` of the address space. */
export function raidzMap(geometry: RaidzGeometry, offsetBytes: number, physicalBytes: number): RaidzMap {
  const { children, parity, sectorBytes } = geometry;
  const dataSectors = sectorsOf(physicalBytes, sectorBytes);
  assert(Number.isSafeInteger(offsetBytes) && offsetBytes >= 0 && offsetBytes % sectorBytes === 0, 'a RAID-Z block starts on a sector');
  const sector = offsetBytes / sectorBytes;
  const firstChild = sector % children;
  const row = Math.floor(sector / children);
  const width = children - parity;
  const fullRows = Math.floor(dataSectors / width);
  const remainder = dataSectors - fullRows * width;
  const bigColumns = remainder === 0 ? 0 : remainder + parity;
  const columnCount = fullRows === 0 ? bigColumns : children;
  const columns: RaidzColumn[] = [];
  let dataOffsetBytes = 0;
  for (let index = 0; index < columnCount; index++) {
    const wraps = firstChild + index >= children;
    const sectors = fullRows + (index < bigColumns ? 1 : 0);
    const bytes = sectors * sectorBytes;
    const isParity = index < parity;
    columns.push({
      child: wraps ? firstChild + index - children : firstChild + index,
      offsetBytes: (wraps ? row + 1 : row) * sectorBytes,
      bytes,
      dataOffsetBytes: isParity ? -1 : dataOffsetBytes,
    });
    if (!isParity) dataOffsetBytes += bytes;
  }
  assert(dataOffsetBytes === physicalBytes, 'the data columns hold the block exactly');
  return { columns, parityBytes: columns[0]!.bytes };
}

function sectorsOf(physicalBytes: number, sectorBytes: number): number {
  assert(Number.isSafeInteger(physicalBytes) && physicalBytes > 0 && physicalBytes % sectorBytes === 0, 'a RAID-Z block is whole sectors');
  return physicalBytes / sectorBytes;
}
