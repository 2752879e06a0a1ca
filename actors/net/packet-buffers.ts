/**
 * The packet buffers of one NIC: a region of the VM's shared memory, cut into blocks by a buddy
 * allocator, that carries a flow's data to an owner on another CPU. The classifier copies each
 * chunk once into a block and ships only its address and length; the owner's CPU reads it there,
 * in the owner's turn, and gives it back once copied out. What crosses between CPUs is a
 * reference into memory both share, as OSv's channels hand over a packet's mapping, not its bytes.
 *
 * The allocator's bookkeeping lives on the NIC's CPU only (the one that allocates and frees); the
 * blocks' bytes live in the VM. Blocks are powers of two from `packetBlockBytesMin` to
 * `packetBlockBytesMax`, each aligned to its size (a buddy allocator's blocks are), and the owner's
 * CPU copies a block out when its owner takes the chunk. A full pool is backpressure: the flow's
 * data waits in its channel until blocks come back.
 *
 * @example
 * ```ts
 * const buffers = await PacketBuffers.create(kernel.subsystem(virtualMemory));
 * const address = buffers.allocate(chunk.byteLength); // null when the pool is full
 * if (address !== null) buffers.memory.write(address, chunk);
 * // … on the owner's CPU: memory.view(address, chunk.byteLength).slice(); then, back here:
 * buffers.free(address);
 * ```
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { SubsystemNotBootedError } from '../../ground/errors.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import type { MemoryAccess } from '../vm/memory-access.js';
import type { VirtualMemory } from '../vm/virtual-memory.js';
import { NetConfigError } from './errors.js';
import { packetBlockBytesMax, packetBlockBytesMin, packetPoolBytes } from './limits.js';

/** This CPU's VM, where packet buffers live; a NetConfigError when the kernel booted without it. */
export function packetVm(kernel: KernelCore): VirtualMemory {
  try {
    return kernel.subsystemHandle('vm') as VirtualMemory;
  } catch (error) {
    if (!(error instanceof SubsystemNotBootedError)) throw error;
    throw new NetConfigError("owners on other CPUs than their NIC's read their data from packet buffers in the VM: boot the vm subsystem too");
  }
}

const orderMin = Math.log2(packetBlockBytesMin);
const ordersCount = Math.log2(packetBlockBytesMax) - orderMin + 1;

/** The order (0: the smallest block) of the smallest block that holds `bytes`. */
function orderFor(bytes: number): number {
  return Math.max(0, Math.ceil(Math.log2(Math.max(bytes, 1))) - orderMin);
}

export class PacketBuffers {
  /**
   * Maps the pool (its frames committed at once: a chunk is never written into a page the VM
   * would have to find a frame for) and makes the allocator.
   */
  static async create(vm: VirtualMemory, bytes = packetPoolBytes): Promise<PacketBuffers> {
    const base = await vm.mmap(bytes, { protection: 'read-write', populate: true });
    return new PacketBuffers(vm.memory, base, bytes, () => vm.munmap(base, bytes));
  }

  /** Free blocks of each order, by offset in the pool. */
  private readonly freeBlocks = Array.from({ length: ordersCount }, () => new Set<number>());
  /** The order of each block handed out, by offset. */
  private readonly allocated = new Map<number, number>();
  private inUse = 0;

  constructor(
    /** The NIC's CPU's access to the VM, which writes the chunks. */
    readonly memory: MemoryAccess,
    readonly base: number,
    readonly bytes: number,
    /** Gives the pool's memory back to the VM. */
    private readonly release: () => Promise<void> = async () => undefined,
  ) {
    assert(bytes > 0 && bytes % packetBlockBytesMax === 0, 'a pool is whole largest blocks');
    for (let offset = 0; offset < bytes; offset += packetBlockBytesMax) this.freeBlocks[ordersCount - 1]!.add(offset);
  }

  /** Bytes of blocks handed out and not yet given back. */
  get bytesInUse(): number {
    return this.inUse;
  }

  /** The address of a block of at least `length` bytes, or null when none is free. */
  allocate(length: number): number | null {
    if (!(length <= packetBlockBytesMax)) invariantBroken(`a chunk of ${length} bytes is past the largest packet buffer (${packetBlockBytesMax})`);
    const order = orderFor(length);
    let have = order;
    while (have < ordersCount && this.freeBlocks[have]!.size === 0) have++;
    if (have === ordersCount) return null;
    const offset = this.take(have);
    // Split down to the order asked for: each upper half is a free buddy.
    while (have > order) {
      have--;
      this.freeBlocks[have]!.add(offset + blockBytes(have));
    }
    this.allocated.set(offset, order);
    this.inUse += blockBytes(order);
    return this.base + offset;
  }

  /** Gives the block at `address` back, merging it with its free buddies. */
  free(address: number): void {
    let offset = address - this.base;
    let order = this.allocated.get(offset);
    if (order === undefined) invariantBroken(`0x${address.toString(16)} is no packet buffer handed out`);
    this.allocated.delete(offset);
    this.inUse -= blockBytes(order);
    while (order < ordersCount - 1) {
      const buddy = offset ^ blockBytes(order);
      if (!this.freeBlocks[order]!.delete(buddy)) break;
      offset = Math.min(offset, buddy);
      order++;
    }
    this.freeBlocks[order]!.add(offset);
  }

  /** Unmaps the pool, once no flow holds a buffer of it. */
  async unmap(): Promise<void> {
    if (this.inUse !== 0) invariantBroken(`a packet pool was unmapped with ${this.inUse} bytes of buffers out`);
    await this.release();
  }

  /** Free blocks of each order, smallest first (for tests and status). */
  freeBlocksByOrder(): number[] {
    return this.freeBlocks.map((blocks) => blocks.size);
  }

  private take(order: number): number {
    const blocks = this.freeBlocks[order]!;
    const offset = blocks.values().next().value as number;
    blocks.delete(offset);
    return offset;
  }
}

function blockBytes(order: number): number {
  return packetBlockBytesMin << order;
}
