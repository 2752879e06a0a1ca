import { dnodeBlockBytes, objsetBlockBytes } from './object-set.js';
import { indirectBytes, pointersPerIndirect } from './object-tree.js';
import type { TopVdev } from './top-vdev.js';

/**
 * What changes take on `vdev` at most, with its parity and rounding:
 * - `blockCostBytes`: a changed data block of `blockBytes`, and its share of the indirect blocks
 *   above it (two copies of 16 KiB for 128 blocks, twice over for the levels above);
 * - `parentCostBytes`: an indirect block of level 1 that a change dirties where none was dirty
 *   (two copies): a sparse write pays one of its own, which the share above does not cover;
 * - `dnodeCostBytes`: a changed dnode's share of the dnode blocks and their indirect blocks a
 *   commit writes, two copies of each (1 KiB on a mirror);
 * - `roomReservedBytes`: room a pool keeps free for the metadata of any commit (the dnode array's
 *   tree, the objset block), 1 MiB on a mirror.
 */
export function roomCosts(vdev: TopVdev) {
  const sectorBytes = vdev.sectorBytes;
  const allocated = (bytes: number) => vdev.allocatedBytesOf(Math.ceil(bytes / sectorBytes) * sectorBytes);
  // Metadata is written in blocks of 16 KiB: what one takes, per byte, scales the metadata's costs.
  const metadataScale = allocated(indirectBytes) / indirectBytes;
  return {
    allocatedBytesOf: allocated,
    parentCostBytes: 2 * allocated(indirectBytes),
    blockCostBytes: (blockBytes: number) => allocated(blockBytes) + Math.ceil((4 * allocated(indirectBytes)) / pointersPerIndirect),
    dnodeCostBytes: Math.ceil(1024 * metadataScale),
    roomReservedBytes: Math.ceil((1 << 20) * metadataScale),
  };
}

/** The largest block of metadata a commit writes: indirect blocks and dnode blocks (the objset block is smaller). */
export const metadataBlockBytesMax = Math.max(indirectBytes, dnodeBlockBytes, objsetBlockBytes);
