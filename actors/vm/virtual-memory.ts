/**
 * What user code and other subsystems reach the VM by, on any CPU: `kernel.subsystem(virtualMemory)`.
 * Structural calls (mmap, munmap, mprotect, mremap, dirty pages, hand-off) are asks to the mapper
 * actor, one writer for the whole machine; reads, writes and views go straight to memory through
 * this CPU's `memory`, with no message at all.
 *
 * @example
 * ```ts
 * const vm = kernel.subsystem(virtualMemory);
 * const address = await vm.mmap(2 << 20, { protection: 'read-write' });
 * vm.memory.writeU32(address, 42);
 * await vm.handOff(address, 2 << 20, consumer, (range) => ({ type: 'buffer', ...range }));
 * ```
 */
import { UsageError } from '../../ground/errors.js';
import type { Message } from '../../ground/message.js';
import type { ActorRef } from '../runtime/ref.js';
import type { VmProtection } from '../../protocols/vm.js';
import { counterNames } from './physical-memory.js';
import type { DirtyRange, MapOptions } from './mapper.js';
import { mapperName, type MapperMsg } from './mapper-actor.js';
import type { MemoryAccess } from './memory-access.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { pageBytes } from './limits.js';
import type { VmCpu } from './vm-cpu.js';

/** A mapped range, as a hand-off gives it to its receiver. */
export interface MappedRange {
  readonly address: number;
  readonly length: number;
}

/** The VM's figures, as `kernel.status()` shows them under `vm`. */
export interface VmStats {
  readonly physicalBytes: number;
  readonly freeBytes: number;
  /** Freed by a change, waiting for every CPU to acknowledge it. */
  readonly retiredBytes: number;
  readonly mappings: number;
  readonly faults4k: number;
  readonly faults2m: number;
  readonly faults1g: number;
  readonly segfaults: number;
  readonly tablesAllocated: number;
  readonly splits: number;
  readonly shootdowns: number;
  /** This CPU's TLB. */
  readonly tlbHits: number;
  readonly tlbMisses: number;
}

export class VirtualMemory {
  constructor(
    private readonly kernel: KernelCore,
    private readonly vm: VmCpu,
  ) {}

  /** This CPU's access to memory: reads, writes and views at virtual addresses. */
  get memory(): MemoryAccess {
    return this.vm.memory.access;
  }

  /** Maps `length` bytes (a positive multiple of 4 KiB); resolves with its address. */
  mmap(length: number, options: MapOptions = {}): Promise<number> {
    return this.mapper().ask({ type: 'vm.map', length, ...options });
  }

  /** Unmaps a range; its frames return once every CPU has let go. */
  async munmap(address: number, length: number): Promise<void> {
    await this.mapper().ask({ type: 'vm.unmap', address, length });
  }

  /** Sets the protection of a range that lies within mappings. */
  async mprotect(address: number, length: number, protection: VmProtection): Promise<void> {
    await this.mapper().ask({ type: 'vm.protect', address, length, protection });
  }

  /** Moves a mapping by rewriting its entries (no byte copied); resolves with its new address. */
  mremap(address: number, length: number): Promise<number> {
    return this.mapper().ask({ type: 'vm.move', address, length });
  }

  /** The dirty pages of a range, cleared unless `clear` is false (what OSv gives the JVM's collector). */
  dirtyPages(address: number, length: number, options: { readonly clear?: boolean } = {}): Promise<DirtyRange[]> {
    return this.mapper().ask({ type: 'vm.dirty', address, length, clear: options.clear ?? true });
  }

  /**
   * Gives the mapping `[address, address + length)` to actor `to`, on any CPU, without copying: the
   * mapping moves to a new address, the old one faults from then on, and `to` is told the new range
   * in the message `wrap` makes. Resolves with the new range.
   */
  async handOff<M extends Message>(address: number, length: number, to: ActorRef<M>, wrap: (range: MappedRange) => M): Promise<MappedRange> {
    const range = { address: await this.mremap(address, length), length };
    to.tell(wrap(range));
    return range;
  }

  stats(): VmStats {
    const { physical } = this.vm.memory;
    const counters = physical.counters();
    const mapper = this.vm.mapper;
    return {
      physicalBytes: physical.framesCount * pageBytes,
      freeBytes: this.vm.memory.freeFrames() * pageBytes,
      retiredBytes: (mapper?.retiredFrames ?? 0) * pageBytes,
      mappings: mapper?.regions.all.filter((region) => !region.guard).length ?? 0,
      ...(Object.fromEntries(counterNames.map((name) => [name, counters[name]])) as Pick<VmStats, (typeof counterNames)[number]>),
      tlbHits: this.memory.tlb.hits,
      tlbMisses: this.memory.tlb.misses,
    };
  }

  private mapper(): ActorRef<MapperMsg> {
    const ref = this.kernel.lookup<MapperMsg>(mapperName);
    if (ref === undefined) throw new UsageError(`the VM's mapper (${mapperName}) is not running: the kernel is stopping, or the vm subsystem gave up`);
    return ref;
  }
}
