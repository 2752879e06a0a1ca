/**
 * A pool's top-level device (ZFS's top-level vdev): how its children hold a block. A mirror (a single
 * device is a mirror of one) keeps the whole block on every child; RAID-Z spreads it over its children
 * in columns with parity. The pool allocates blocks in the device's address space and hands it their
 * addresses; everything about children, copies and parity stays behind this interface.
 *
 * @example
 * ```ts
 * const vdev = topVdevOf('raidz1', children, { sectorBytes: 4096, dataStartBytes: 512 << 10, dataEndBytes: 60 << 20 });
 * const space = new SpaceMap(vdev.startBytes, vdev.endBytes, vdev.sectorBytes);
 * const at = space.allocate(vdev.allocatedBytesOf(block.byteLength));
 * await vdev.write([{ device: 0, offsetBytes: at, allocatedBytes: vdev.allocatedBytesOf(block.byteLength) }], block);
 * ```
 */
import type { ActorRef } from '../runtime/ref.js';
import type { DataAddress } from './block-pointer.js';
import type { ChecksumKind } from './checksum.js';
import type { PoolDeviceMsg } from './device-actor.js';
import type { PoolLayout } from './label.js';
import { MirrorVdev } from './mirror-vdev.js';
import { RaidzVdev } from './raidz-vdev.js';
import type { RecordBuffers } from './record-buffers.js';
import type { ScrubbedBlock, VerifiedRead } from './verified-read.js';

/** A child device's actor, or undefined where the child is missing. */
export type VdevChild = ActorRef<PoolDeviceMsg> | undefined;

/** Where the data area lies on each child, between its front and back labels. */
export interface VdevArea {
  readonly sectorBytes: number;
  readonly dataStartBytes: number;
  readonly dataEndBytes: number;
}

export interface TopVdev {
  /** The address space blocks are allocated in: `[startBytes, endBytes)`, in whole sectors. */
  readonly startBytes: number;
  readonly endBytes: number;
  readonly sectorBytes: number;
  /** Children that must take a group's flush and uberblock for the group to be committed. */
  readonly childrenNeeded: number;
  /** Bytes a block of `physicalBytes` (whole sectors) takes in the address space. */
  allocatedBytesOf(physicalBytes: number): number;
  /** Writes `data` (whole sectors, never changed again) at each of `addresses`; fails when one of them is not readable back. */
  write(addresses: readonly DataAddress[], data: Uint8Array): Promise<void>;
  /** The block at `addresses`, verified against `checksum`, healing what did not verify; ChecksumError when nothing does. */
  read(addresses: readonly DataAddress[], physicalBytes: number, kind: ChecksumKind, checksum: Uint8Array): Promise<VerifiedRead>;
  /** Reads everything the block has on the children (every copy, every column), verifies it and repairs what is bad. */
  scrub(addresses: readonly DataAddress[], physicalBytes: number, kind: ChecksumKind, checksum: Uint8Array): Promise<ScrubbedBlock>;
  /**
   * Writes child `child`'s part of the block at `addresses` to `target`, from the block as the
   * children read from give it, verified; returns the bytes written. `target` is the child itself
   * when it is being rebuilt (`rebuildChild`), or the device that is to take its place, while the
   * child is still read from. ChecksumError when the block cannot be read.
   */
  resilver(
    addresses: readonly DataAddress[],
    physicalBytes: number,
    kind: ChecksumKind,
    checksum: Uint8Array,
    child: number,
    target: NonNullable<VdevChild>,
  ): Promise<number>;
  /**
   * Makes `ref` child `child`, being rebuilt: written to, never read from, until `setChild` says it is
   * whole. RangeError when the children left to read from could not give every block.
   */
  rebuildChild(child: number, ref: NonNullable<VdevChild>): void;
  /** Makes `ref` child `child`, whole and in use (a rebuilt child, or the one before put back). */
  setChild(child: number, ref: VdevChild): void;
  /**
   * The children (by index) a write failed on since the pool opened: they lack blocks of the tree, so
   * no commit gives them an uberblock until they are resilvered.
   */
  readonly staleChildren: ReadonlySet<number>;
}

/** The top-level device of a pool of `layout` over `children`. */
export function topVdevOf(layout: PoolLayout, children: readonly VdevChild[], area: VdevArea, memory?: RecordBuffers): TopVdev {
  if (layout === 'raidz1' || layout === 'raidz2') return new RaidzVdev(children, layout === 'raidz1' ? 1 : 2, area, memory);
  return new MirrorVdev(children, area, memory);
}
