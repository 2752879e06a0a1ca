/**
 * A mirror as a pool's top-level device (a single device is a mirror of one side): every copy of a
 * block goes to every side at the same offset, and a read goes through them in turn until one
 * verifies (verified-read.ts). A side that is missing or fails is left behind while another takes
 * the writes, as ZFS's mirror goes on degraded. A side being rebuilt (`rebuildChild`) takes the
 * writes and is not read from until it is whole.
 */
import type { DataAddress } from './block-pointer.js';
import type { ChecksumKind } from './checksum.js';
import type { TopVdev, VdevArea, VdevChild } from './top-vdev.js';
import { type BlockCopy, type ReadMemory, readVerified, type ScrubbedBlock, scrubCopies, type VerifiedRead, writeCopies } from './verified-read.js';

interface Side {
  readonly ref: NonNullable<VdevChild>;
  readonly index: number;
}

export class MirrorVdev implements TopVdev {
  readonly startBytes: number;
  readonly endBytes: number;
  readonly sectorBytes: number;
  readonly childrenNeeded = 1;
  private readonly sides: VdevChild[];
  private readonly failed = new Set<number>();
  private readonly rebuilding = new Set<number>();
  /** The sides present, and those of them read from: worked out on each change, for every block read and written. */
  private present: readonly Side[] = [];
  private readable: readonly Side[] = [];

  /** `memory`: where reads take their memory (record-buffers.ts); new memory each time without it. */
  constructor(
    sides: readonly VdevChild[],
    area: VdevArea,
    private readonly memory?: ReadMemory,
  ) {
    this.startBytes = area.dataStartBytes;
    this.endBytes = area.dataEndBytes;
    this.sectorBytes = area.sectorBytes;
    this.sides = [...sides];
    this.refresh();
  }

  allocatedBytesOf(physicalBytes: number): number {
    return Math.ceil(physicalBytes / this.sectorBytes) * this.sectorBytes;
  }

  /** An address that reached no side fails the write with that side's error; the others go on without the sides that failed. */
  async write(addresses: readonly DataAddress[], data: Uint8Array): Promise<void> {
    const sides = this.present;
    // The block's memory is not used again before its group is durable (record-buffers.ts), long
    // after these writes are answered: the devices write it, not a copy.
    const perAddress = await Promise.all(
      addresses.map((address) => Promise.allSettled(sides.map(({ ref }) => writeCopies([{ device: ref, offsetBytes: address.offsetBytes }], data, true)))),
    );
    for (const outcomes of perAddress) {
      for (const [index, outcome] of outcomes.entries()) if (outcome.status === 'rejected') this.failed.add(sides[index]!.index);
      if (!outcomes.some((outcome) => outcome.status === 'fulfilled')) throw (outcomes[0] as PromiseRejectedResult).reason;
    }
  }

  read(addresses: readonly DataAddress[], physicalBytes: number, kind: ChecksumKind, checksum: Uint8Array): Promise<VerifiedRead> {
    return readVerified(this.copiesAt(addresses), physicalBytes, kind, checksum, this.memory);
  }

  scrub(addresses: readonly DataAddress[], physicalBytes: number, kind: ChecksumKind, checksum: Uint8Array): Promise<ScrubbedBlock> {
    return scrubCopies(this.copiesAt(addresses), physicalBytes, kind, checksum, this.memory);
  }

  async resilver(
    addresses: readonly DataAddress[],
    physicalBytes: number,
    kind: ChecksumKind,
    checksum: Uint8Array,
    child: number,
    target: NonNullable<VdevChild>,
  ): Promise<number> {
    if (!Number.isInteger(child) || child < 0 || child >= this.sides.length) throw new RangeError(`the mirror has no side ${child}`);
    const { data } = await this.read(addresses, physicalBytes, kind, checksum);
    await writeCopies(
      addresses.map((address) => ({ device: target, offsetBytes: address.offsetBytes })),
      data,
      true,
    );
    return data.byteLength * addresses.length;
  }

  rebuildChild(child: number, ref: NonNullable<VdevChild>): void {
    const before = this.sides[child];
    this.sides[child] = ref;
    this.rebuilding.add(child);
    try {
      this.refresh();
    } catch (error) {
      this.sides[child] = before;
      this.rebuilding.delete(child);
      this.refresh();
      throw error;
    }
    this.failed.delete(child);
  }

  setChild(child: number, ref: VdevChild): void {
    this.sides[child] = ref;
    this.rebuilding.delete(child);
    this.failed.delete(child);
    this.refresh();
  }

  get staleChildren(): ReadonlySet<number> {
    return this.failed;
  }

  private refresh(): void {
    const present = this.sides.flatMap((ref, index) => (ref === undefined ? [] : [{ ref, index }]));
    const readable = present.filter(({ index }) => !this.rebuilding.has(index));
    if (readable.length === 0) throw new RangeError('a mirror needs at least one whole side present');
    this.present = present;
    this.readable = readable;
  }

  private copiesAt(addresses: readonly DataAddress[]): BlockCopy[] {
    return addresses.flatMap((address) => this.readable.map(({ ref }) => ({ device: ref, offsetBytes: address.offsetBytes })));
  }
}
