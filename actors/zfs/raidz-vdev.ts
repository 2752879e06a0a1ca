/**
 * RAID-Z as a pool's top-level device (ZFS's `vdev_raidz.c`): each block spread over the children
 * in columns with one or two of parity (raidz-map.ts, raidz-parity.ts), so the block survives one
 * (RAID-Z1) or two (RAID-Z2) children lost or returning bad bytes.
 *
 * A read takes only the data columns and checks the block's checksum. When a column cannot be read
 * or the block does not verify, it reads the parity too and rebuilds: first the columns that could
 * not be read, then, as ZFS's combinatorial reconstruction does, each choice of the other columns
 * the parity has room for, taken as bad, until the block verifies. The columns it had to rebuild are
 * rewritten (a repair), and the children that returned bad bytes count a checksum error. Nothing is
 * returned that did not verify: past the parity, the read fails with ChecksumError.
 *
 * A write with a child missing or failing goes on while the columns it loses are within the parity;
 * the child is stale from then on (see `staleChildren`).
 *
 * @example
 * ```ts
 * const vdev = new RaidzVdev([d0.ref, d1.ref, undefined], 1, area); // one child missing
 * await vdev.write([address], block);
 * (await vdev.read([address], block.byteLength, 'fletcher4', blockChecksum('fletcher4', block))).data; // rebuilt through P
 * ```
 */
import { bytesEqual, zeroPadded } from '../../ground/bytes.js';
import type { DataAddress } from './block-pointer.js';
import { deviceRequest } from './device-actor.js';
import { blockChecksum, type ChecksumKind, checksumsEqual } from './checksum.js';
import { ParityExhaustedError, raidzParity, raidzRebuild } from './raidz-parity.js';
import type { RecordBuffers } from './record-buffers.js';
import { checkRaidzGeometry, type RaidzGeometry, type RaidzMap, raidzAllocatedBytes, raidzMap } from './raidz-map.js';
import type { TopVdev, VdevArea, VdevChild } from './top-vdev.js';
import { ChecksumError, type ScrubbedBlock, type VerifiedRead } from './verified-read.js';

/** One copy of a block as read from its columns: its data when it verified (as read or rebuilt), and the columns found bad. */
interface CopyRead {
  readonly data: Uint8Array | null;
  /** Columns that could not be read or were rebuilt, by index in the map; not those of children that are missing. */
  readonly bad: readonly number[];
  /** Those of them that were read and held wrong bytes. */
  readonly corrupt: readonly number[];
  readonly problem: string;
}

export class RaidzVdev implements TopVdev {
  readonly startBytes: number;
  readonly endBytes: number;
  readonly sectorBytes: number;
  readonly childrenNeeded: number;
  private readonly geometry: RaidzGeometry;
  private readonly children: VdevChild[];
  private readonly failed = new Set<number>();
  /** Children being rebuilt: written to, never read from (see `rebuildChild`). */
  private readonly rebuilding = new Set<number>();

  /**
   * `memory`: where the parity of the blocks written takes its memory, given back once every column
   * is written (record-buffers.ts); new memory each time without it.
   */
  constructor(
    children: readonly VdevChild[],
    readonly parity: 1 | 2,
    area: VdevArea,
    private readonly memory?: RecordBuffers,
  ) {
    this.geometry = { children: children.length, parity, sectorBytes: area.sectorBytes };
    checkRaidzGeometry(this.geometry);
    this.children = [...children];
    this.checkReadable();
    // Sector k of the address space is sector k / N of child k mod N (raidz-map.ts).
    this.startBytes = area.dataStartBytes * children.length;
    this.endBytes = area.dataEndBytes * children.length;
    this.sectorBytes = area.sectorBytes;
    this.childrenNeeded = children.length - parity;
  }

  allocatedBytesOf(physicalBytes: number): number {
    return raidzAllocatedBytes(this.geometry, physicalBytes);
  }

  async write(addresses: readonly DataAddress[], data: Uint8Array): Promise<void> {
    await Promise.all(addresses.map((address) => this.writeCopy(address.offsetBytes, data)));
  }

  async read(addresses: readonly DataAddress[], physicalBytes: number, kind: ChecksumKind, checksum: Uint8Array): Promise<VerifiedRead> {
    const problems: string[] = [];
    for (const [index, address] of addresses.entries()) {
      const copy = await this.readCopy(address.offsetBytes, physicalBytes, kind, checksum, false);
      if (copy.data === null) {
        problems.push(`copy ${index}: ${copy.problem}`);
        continue;
      }
      let repaired = (await this.repairColumns(address.offsetBytes, physicalBytes, copy.data, copy)).count;
      // The copies before it that nothing could rebuild are written again whole.
      for (const lost of addresses.slice(0, index)) if ((await this.writeCopy(lost.offsetBytes, copy.data, true).catch(() => 0)) > 0) repaired++;
      return { data: copy.data, repaired };
    }
    throw new ChecksumError(problems);
  }

  async scrub(addresses: readonly DataAddress[], physicalBytes: number, kind: ChecksumKind, checksum: Uint8Array): Promise<ScrubbedBlock> {
    const copies = await Promise.all(addresses.map((address) => this.readCopy(address.offsetBytes, physicalBytes, kind, checksum, true)));
    const good = copies.find((copy) => copy.data !== null)?.data ?? null;
    let badCopies = 0;
    let repaired = 0;
    let repairedBytes = 0;
    for (const [index, copy] of copies.entries()) {
      const offsetBytes = addresses[index]!.offsetBytes;
      if (copy.data === null) {
        badCopies++;
        const written = good === null ? 0 : await this.writeCopy(offsetBytes, good, true).catch(() => 0);
        if (written > 0) {
          repaired++;
          repairedBytes += written;
        }
        continue;
      }
      badCopies += copy.bad.length;
      const columns = await this.repairColumns(offsetBytes, physicalBytes, copy.data, copy);
      repaired += columns.count;
      repairedBytes += columns.bytes;
    }
    return { badCopies, repaired, repairedBytes, unrecoverable: good === null };
  }

  async resilver(
    addresses: readonly DataAddress[],
    physicalBytes: number,
    kind: ChecksumKind,
    checksum: Uint8Array,
    child: number,
    target: NonNullable<VdevChild>,
  ): Promise<number> {
    if (!Number.isInteger(child) || child < 0 || child >= this.children.length) throw new RangeError(`the device has no child ${child}`);
    const { data } = await this.read(addresses, physicalBytes, kind, checksum);
    let bytes = 0;
    for (const address of addresses) {
      const map = raidzMap(this.geometry, address.offsetBytes, physicalBytes);
      // A block narrower than the device may have no column on this child.
      const index = map.columns.findIndex((column) => column.child === child);
      if (index < 0) continue;
      const column = map.columns[index]!;
      await target.ask({ type: 'write', offsetBytes: column.offsetBytes, data: this.columnContents(map, data)[index]!, handOver: true }, deviceRequest);
      bytes += column.bytes;
    }
    return bytes;
  }

  rebuildChild(child: number, ref: NonNullable<VdevChild>): void {
    const before = this.children[child];
    this.children[child] = ref;
    this.rebuilding.add(child);
    try {
      this.checkReadable();
    } catch (error) {
      this.children[child] = before;
      this.rebuilding.delete(child);
      throw error;
    }
    this.failed.delete(child);
  }

  setChild(child: number, ref: VdevChild): void {
    this.children[child] = ref;
    this.rebuilding.delete(child);
    this.failed.delete(child);
  }

  get staleChildren(): ReadonlySet<number> {
    return this.failed;
  }

  /** Throws RangeError when more children are missing or being rebuilt than the parity rebuilds. */
  private checkReadable(): void {
    const unreadable = this.children.filter((child, index) => child === undefined || this.rebuilding.has(index)).length;
    if (unreadable > this.parity)
      throw new RangeError(`a RAID-Z${this.parity} device with ${unreadable} children missing or being rebuilt cannot give its data`);
  }

  /** Whether child `child` is read from: present and whole. */
  private readable(child: number): boolean {
    return this.children[child] !== undefined && !this.rebuilding.has(child);
  }

  /**
   * Writes one copy's columns and returns their bytes; fails when more of them were lost than the
   * parity rebuilds. A child that fails a new block's column is stale from then on; one that fails a
   * `repair` (a block already in the tree, rewritten) lacks nothing it had, so it is not.
   */
  private async writeCopy(offsetBytes: number, data: Uint8Array, repair = false): Promise<number> {
    const map = raidzMap(this.geometry, offsetBytes, data.byteLength);
    const contents = this.columnContents(map, data, this.memory);
    const outcomes = await Promise.allSettled(
      map.columns.map((column, index) => {
        const child = this.children[column.child];
        if (child === undefined) return Promise.reject(new ParityExhaustedError(1, 0));
        return child.ask({ type: 'write', offsetBytes: column.offsetBytes, data: contents[index]!, handOver: true }, deviceRequest);
      }),
    );
    let lost = 0;
    let firstFailure: unknown = null;
    for (const [index, outcome] of outcomes.entries()) {
      if (outcome.status === 'fulfilled') continue;
      lost++;
      const child = map.columns[index]!.child;
      if (this.children[child] !== undefined) {
        if (!repair) this.failed.add(child);
        firstFailure ??= outcome.reason;
      }
    }
    // A parity column written, or never sent (its child is missing), is nobody's now: its memory
    // goes back. One whose write failed may still be read by the device.
    for (let index = 0; index < this.parity; index++)
      if (outcomes[index]!.status === 'fulfilled' || this.children[map.columns[index]!.child] === undefined) this.memory?.release(contents[index]!);
    if (lost > this.parity) throw firstFailure ?? new ParityExhaustedError(lost, this.parity);
    return map.columns.reduce((sum, column) => sum + column.bytes, 0);
  }

  /**
   * Reads one copy and rebuilds it if need be. `everything`: read the parity too even when the data
   * verifies, and check it (a scrub); a parity column that does not match the data is then bad.
   */
  private async readCopy(offsetBytes: number, physicalBytes: number, kind: ChecksumKind, checksum: Uint8Array, everything: boolean): Promise<CopyRead> {
    const map = raidzMap(this.geometry, offsetBytes, physicalBytes);
    const parity = this.parity;
    const read: (Uint8Array | null)[] = map.columns.map(() => null);
    await this.readColumns(map, read, everything ? 0 : parity);
    const unreadable = () => read.flatMap((column, index) => (column === null ? [index] : []));
    // Repairs go to the children read from: one being rebuilt gets its columns from the resilver.
    const present = (index: number) => this.readable(map.columns[index]!.child);
    const verifies = (data: Uint8Array) => checksumsEqual(blockChecksum(kind, data), checksum);
    // A scrub checks the parity against the data as well: a rebuild through P alone says nothing of Q.
    const found = (data: Uint8Array, rebuilt: readonly number[], corrupt: readonly number[]): CopyRead => {
      if (!everything) return { data, bad: rebuilt.filter(present), corrupt, problem: '' };
      const expected = this.columnContents(map, data);
      const wrongParity = read.flatMap((column, index) =>
        index < parity && !rebuilt.includes(index) && (column === null || !bytesEqual(column, expected[index]!)) ? [index] : [],
      );
      const bad = [...rebuilt, ...wrongParity];
      return { data, bad: bad.filter(present), corrupt: [...corrupt, ...wrongParity.filter((index) => read[index] !== null)], problem: '' };
    };
    if (unreadable().every((index) => index < parity)) {
      const data = assemble(map, read, parity, physicalBytes);
      if (verifies(data)) return found(data, [], []);
    }
    if (!everything) await this.readColumns(map, read, 0, parity);
    const missing = unreadable();
    if (missing.length > parity)
      return { data: null, bad: missing.filter(present), corrupt: [], problem: `${missing.length} of its columns could not be read` };
    const readable = read.flatMap((column, index) => (column === null ? [] : [index]));
    // The columns that could not be read, then each choice of others the parity still has room for.
    for (let extra = 0; extra <= parity - missing.length; extra++) {
      for (const chosen of choices(readable, extra)) {
        const rebuilt = [...missing, ...chosen];
        if (!rebuilt.some((index) => index >= parity)) continue; // the data as read: it did not verify
        const data = rebuildData(map, read, parity, physicalBytes, rebuilt);
        if (data !== null && verifies(data)) return found(data, rebuilt, chosen);
      }
    }
    return { data: null, bad: missing.filter(present), corrupt: [], problem: `no rebuild within its parity verifies (${missing.length} column(s) unreadable)` };
  }

  /** Reads the columns `[from, to)` of `map` into `read`; a column that cannot be read stays null. */
  private async readColumns(map: RaidzMap, read: (Uint8Array | null)[], from: number, to = map.columns.length): Promise<void> {
    const reads: Promise<void>[] = [];
    for (let index = from; index < to; index++) {
      const column = map.columns[index]!;
      if (!this.readable(column.child)) continue;
      const child = this.children[column.child]!;
      reads.push(
        child.ask({ type: 'read', offsetBytes: column.offsetBytes, lengthBytes: column.bytes }, deviceRequest).then(
          (bytes) => {
            read[index] = bytes;
          },
          () => undefined,
        ),
      );
    }
    await Promise.all(reads);
  }

  /** Rewrites the columns `copy` found bad with what `data` says they hold; returns how many took it, and their bytes. */
  private async repairColumns(offsetBytes: number, physicalBytes: number, data: Uint8Array, copy: CopyRead): Promise<{ count: number; bytes: number }> {
    if (copy.bad.length === 0) return { count: 0, bytes: 0 };
    const map = raidzMap(this.geometry, offsetBytes, physicalBytes);
    const contents = this.columnContents(map, data);
    const outcomes = await Promise.allSettled(
      copy.bad.map((index) => {
        const column = map.columns[index]!;
        const child = this.children[column.child]!;
        if (copy.corrupt.includes(index)) child.tell({ type: 'checksum-error' });
        return child.ask({ type: 'write', offsetBytes: column.offsetBytes, data: contents[index]! }, deviceRequest);
      }),
    );
    let count = 0;
    let bytes = 0;
    for (const [at, outcome] of outcomes.entries()) {
      if (outcome.status === 'rejected') continue;
      count++;
      bytes += map.columns[copy.bad[at]!]!.bytes;
    }
    return { count, bytes };
  }

  /** Every column of `map` as it is written for `data`: the parity, then the data's pieces (views, not copies). */
  private columnContents(map: RaidzMap, data: Uint8Array, memory?: RecordBuffers): Uint8Array[] {
    const dataColumns = map.columns.slice(this.parity).map((column) => data.subarray(column.dataOffsetBytes, column.dataOffsetBytes + column.bytes));
    const { p, q } = raidzParity(
      // The short data columns count as zeros up to the parity's length.
      dataColumns.map((column) => zeroPadded(column, map.parityBytes)),
      this.parity,
      memory,
    );
    return this.parity === 1 ? [p, ...dataColumns] : [p, q!, ...dataColumns];
  }
}

/** The block from its data columns as read (all of them read). */
function assemble(map: RaidzMap, read: readonly (Uint8Array | null)[], parity: number, physicalBytes: number): Uint8Array {
  const data = new Uint8Array(physicalBytes);
  for (let index = parity; index < map.columns.length; index++) data.set(read[index]!, map.columns[index]!.dataOffsetBytes);
  return data;
}

/** The block with the columns `rebuilt` (by index in the map) rebuilt from the others; null when the parity cannot. */
function rebuildData(
  map: RaidzMap,
  read: readonly (Uint8Array | null)[],
  parity: number,
  physicalBytes: number,
  rebuilt: readonly number[],
): Uint8Array | null {
  const present = (index: number) => (rebuilt.includes(index) ? null : read[index]!);
  const dataColumns = map.columns.slice(parity).map((_, at) => {
    const column = present(at + parity);
    return column === null ? null : zeroPadded(column, map.parityBytes);
  });
  let columns: Uint8Array[];
  try {
    columns = raidzRebuild(dataColumns, present(0), parity === 2 ? present(1) : null);
  } catch (error) {
    if (error instanceof ParityExhaustedError) return null;
    throw error;
  }
  const data = new Uint8Array(physicalBytes);
  for (const [at, column] of columns.entries()) {
    const { bytes, dataOffsetBytes } = map.columns[at + parity]!;
    data.set(column.subarray(0, bytes), dataOffsetBytes);
  }
  return data;
}

/** Every way to choose `count` of `items`, in order. */
function* choices(items: readonly number[], count: number, from = 0): Generator<number[]> {
  if (count === 0) {
    yield [];
    return;
  }
  for (let index = from; index <= items.length - count; index++) for (const rest of choices(items, count - 1, index + 1)) yield [items[index]!, ...rest];
}
