/**
 * One CPU's handles on the shared virtual memory: the physical memory's views, the shared frame
 * allocator, the CPU's own frame cache, the page tables and its access path with its TLB. Every CPU
 * opens one over the same buffers; the VM's CPU adds the Mapper.
 *
 * @example
 * ```ts
 * const buffers = createPhysicalMemory(64 << 20, 2); // once, formatted, before the CPUs start
 * const memory = new CpuMemory(buffers, 1);           // on CPU 1
 * memory.access.readU8(address);
 * ```
 */
import { FrameAllocator } from './frame-allocator.js';
import { FrameCache } from './frame-cache.js';
import { MemoryAccess } from './memory-access.js';
import { PageTables } from './page-tables.js';
import { allocatePhysicalMemory, PhysicalMemory, type PhysicalMemoryBuffers } from './physical-memory.js';

export class CpuMemory {
  readonly physical: PhysicalMemory;
  readonly allocator: FrameAllocator;
  readonly cache: FrameCache;
  readonly tables: PageTables;
  readonly access: MemoryAccess;

  constructor(buffers: PhysicalMemoryBuffers, cpu: number) {
    this.physical = new PhysicalMemory(buffers);
    this.allocator = new FrameAllocator(this.physical);
    this.cache = new FrameCache(this.physical, this.allocator, cpu);
    this.tables = new PageTables(this.physical, this.allocator);
    this.access = new MemoryAccess(this.tables, this.cache);
  }

  /** Frames free: on the allocator's lists and in every CPU's cache. */
  freeFrames(): number {
    let cached = 0;
    for (let cpu = 0; cpu < this.physical.cpus; cpu++) cached += Atomics.load(this.physical.words, this.physical.frameCacheWord(cpu));
    return this.allocator.freeFrames() + cached;
  }
}

/**
 * Physical memory of `bytes` for `cpus` CPUs, formatted: every frame free but the root page table.
 * Its buffers go to every CPU (in the VM subsystem's options); `shared` as for `allocatePhysicalMemory`.
 */
export function createPhysicalMemory(bytes: number, cpus: number, shared = true): PhysicalMemoryBuffers {
  const buffers = allocatePhysicalMemory(bytes, cpus, shared);
  const memory = new CpuMemory(buffers, 0);
  memory.allocator.format();
  memory.tables.createRoot(memory.cache);
  return buffers;
}
