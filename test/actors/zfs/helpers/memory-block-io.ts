/**
 * A `BlockIo` in memory for the object tree's tests: every block written is kept with its checksum,
 * and the tree's mistakes with blocks are errors at once: a read of a freed block, a free of a
 * freed block, a read that does not verify. `live()` lists the blocks not freed, which a test holds
 * to the blocks the tree points at (nothing leaked, nothing freed that is still in use).
 */
import type { BlockPointer, BlockType } from '../../../../actors/zfs/block-pointer.js';
import { blockChecksum, checksumsEqual } from '../../../../actors/zfs/checksum.js';
import type { BlockIo } from '../../../../actors/zfs/object-tree.js';

const unitBytes = 512;

export class MemoryBlockIo implements BlockIo {
  readonly blocks = new Map<number, { bytes: Uint8Array; freedIn: number | null }>();
  writes = 0;
  private next = 1;

  async write(data: Uint8Array, type: BlockType, level: number, fill: number, txg: number): Promise<BlockPointer> {
    this.writes++;
    const id = this.next++;
    const allocatedBytes = Math.ceil(data.byteLength / unitBytes) * unitBytes;
    this.blocks.set(id, { bytes: data.slice(), freedIn: null });
    return {
      addresses: [{ device: 0, offsetBytes: id * unitBytes, allocatedBytes }],
      logicalBytes: data.byteLength,
      physicalBytes: data.byteLength,
      checksumKind: 'fletcher4',
      type,
      level,
      birthTxg: txg,
      fill,
      checksum: blockChecksum('fletcher4', data),
    };
  }

  newBlock(lengthBytes: number, contents?: Uint8Array): Uint8Array {
    const block = new Uint8Array(lengthBytes);
    if (contents !== undefined) block.set(contents);
    return block;
  }

  async read(pointer: BlockPointer): Promise<Uint8Array> {
    const block = this.blockOf(pointer);
    if (block.freedIn !== null) throw new Error(`read of block ${this.idOf(pointer)}, freed in txg ${block.freedIn}`);
    if (!checksumsEqual(blockChecksum('fletcher4', block.bytes), pointer.checksum)) throw new Error(`block ${this.idOf(pointer)} does not verify`);
    return block.bytes.slice();
  }

  free(pointer: BlockPointer, txg: number): void {
    const block = this.blockOf(pointer);
    if (block.freedIn !== null) throw new Error(`block ${this.idOf(pointer)} freed twice (txg ${block.freedIn}, then ${txg})`);
    block.freedIn = txg;
  }

  /** The ids of the blocks not freed. */
  live(): number[] {
    return [...this.blocks].filter(([, block]) => block.freedIn === null).map(([id]) => id);
  }

  idOf(pointer: BlockPointer): number {
    return pointer.addresses[0]!.offsetBytes / unitBytes;
  }

  private blockOf(pointer: BlockPointer) {
    const block = this.blocks.get(this.idOf(pointer));
    if (block === undefined) throw new Error(`no block ${this.idOf(pointer)}`);
    return block;
  }
}
