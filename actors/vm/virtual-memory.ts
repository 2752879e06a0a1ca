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
import { allocationWaitMsDefault, pageBytes } from './limits.js';
import { orderOfLevel, type TableCensus } from './page-tables.js';
import { OutOfMemoryError } from './errors.js';
import { type Reclaim, reclaimerName, type ReclaimerMsg, type ShrinkRequest, shrinkDeadlineMs } from './reclaimer.js';
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
  /** Free runs of each page size the allocator could hand out now (a 1 GiB block holds 512 runs of 2 MiB). */
  readonly freeRuns: { readonly '2m': number; readonly '1g': number };
  /** What the page tables hold now: the tables themselves, and mapped pages of each size. */
  readonly used: TableCensus;
  /** Freed by a change, waiting for every CPU to acknowledge it. */
  readonly retiredBytes: number;
  readonly mappings: number;
  readonly faults4k: number;
  readonly faults2m: number;
  readonly faults1g: number;
  /** Faults that found another CPU had populated the entry first, and gave their frame back. */
  readonly faultRacesLost: number;
  readonly segfaults: number;
  readonly tablesAllocated: number;
  readonly splits: number;
  readonly shootdowns: number;
  /** This CPU's TLB. */
  readonly tlbHits: number;
  readonly tlbMisses: number;
  /** The pressure state, reclaim rounds and shrinkers (on the VM's CPU; null elsewhere). */
  readonly pressure: ReturnType<Reclaim['stats']> | null;
}

/** Runs of 2 MiB and 1 GiB in free blocks counted by order. */
function freeRunsOf(blocksByOrder: readonly number[]): VmStats['freeRuns'] {
  const runsOf = (order: number) => blocksByOrder.reduce((runs, count, have) => (have >= order ? runs + count * 2 ** (have - order) : runs), 0);
  return { '2m': runsOf(orderOfLevel[1]!), '1g': runsOf(orderOfLevel[2]!) };
}

/** An out-of-memory failure, as thrown here or as it crossed from another CPU (by its code). */
function isOutOfMemory(error: unknown): boolean {
  return error instanceof OutOfMemoryError || (error as { code?: unknown } | null)?.code === 'out-of-memory';
}

export class VirtualMemory {
  constructor(
    private readonly kernel: KernelCore,
    private readonly vm: VmCpu,
    /** The reclaimer's state: on the VM's CPU only. */
    private readonly reclaim: Reclaim | null,
  ) {}

  /** This CPU's access to memory: reads, writes and views at virtual addresses. */
  get memory(): MemoryAccess {
    return this.vm.memory.access;
  }

  /**
   * Maps `length` bytes (a positive multiple of 4 KiB); resolves with its address. With `populate`,
   * a mapping that finds too few free frames waits up to `waitMs` (default 1 s) for the shrinkers to
   * give memory back, then fails with an `out-of-memory` error.
   */
  async mmap(length: number, options: MapOptions & { readonly waitMs?: number } = {}): Promise<number> {
    const { waitMs = allocationWaitMsDefault, ...mapOptions } = options;
    const deadlineAt = this.kernel.clock.now() + waitMs;
    for (;;) {
      try {
        return await (await this.mapper()).ask({ type: 'vm.map', length, ...mapOptions });
      } catch (error) {
        const left = deadlineAt - this.kernel.clock.now();
        if (!isOutOfMemory(error) || options.populate !== true || left <= 0) throw error;
        await this.waitForMemory(length, { deadlineMs: left });
      }
    }
  }

  /**
   * Resolves once `bytes` are free, asking the shrinkers for them, or fails with an `out-of-memory`
   * error after `deadlineMs` (default 1 s).
   */
  async waitForMemory(bytes: number, options: { readonly deadlineMs?: number } = {}): Promise<number> {
    const deadlineMs = options.deadlineMs ?? allocationWaitMsDefault;
    return (await this.reclaimer()).ask({ type: 'vm.wait-for-memory', bytes, deadlineMs }, { deadlineMs: deadlineMs + shrinkDeadlineMs * 2 });
  }

  /**
   * Registers `shrinker`, an actor that answers `vm.shrink` (ShrinkRequest) with the bytes it gave
   * back, as OSv's shrinker API does: the reclaimer asks it when free memory runs low.
   */
  async registerShrinker(name: string, shrinker: ActorRef<ShrinkRequest>): Promise<void> {
    await (await this.reclaimer()).ask({ type: 'vm.register-shrinker', name, shrinker });
  }

  /** Stops asking `shrinker`; resolves with whether it was registered. */
  async unregisterShrinker(shrinker: ActorRef<ShrinkRequest>): Promise<boolean> {
    return (await this.reclaimer()).ask({ type: 'vm.unregister-shrinker', shrinker });
  }

  /** Unmaps a range; its frames return once every CPU has let go. */
  async munmap(address: number, length: number): Promise<void> {
    await (await this.mapper()).ask({ type: 'vm.unmap', address, length });
  }

  /** Sets the protection of a range that lies within mappings. */
  async mprotect(address: number, length: number, protection: VmProtection): Promise<void> {
    await (await this.mapper()).ask({ type: 'vm.protect', address, length, protection });
  }

  /**
   * Moves a mapping by rewriting its entries (no byte copied); resolves with its new address. With
   * `newLength` it shrinks or grows too, as mremap(2) with MREMAP_MAYMOVE.
   */
  async mremap(address: number, length: number, newLength = length): Promise<number> {
    return (await this.mapper()).ask({ type: 'vm.move', address, length, newLength });
  }

  /** The dirty pages of a range, cleared unless `clear` is false (what OSv gives the JVM's collector). */
  async dirtyPages(address: number, length: number, options: { readonly clear?: boolean } = {}): Promise<DirtyRange[]> {
    return (await this.mapper()).ask({ type: 'vm.dirty', address, length, clear: options.clear ?? true });
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

  /**
   * Calls `listener` with each CPU that goes down (its worker died), on this CPU; returns the way to
   * stop. What a structure in the VM needs to hear of: a VM lock its dead holder left behind
   * (vm-lock.ts `abandonVmLockOf`).
   */
  onCpuDown(listener: (cpu: number) => void): () => void {
    return this.vm.onCpuDown(listener);
  }

  stats(): VmStats {
    const { physical } = this.vm.memory;
    const counters = physical.counters();
    const mapper = this.vm.mapper;
    return {
      physicalBytes: physical.framesCount * pageBytes,
      freeBytes: this.vm.memory.freeFrames() * pageBytes,
      freeRuns: freeRunsOf(this.vm.memory.allocator.freeBlocksByOrder()),
      used: this.vm.memory.tables.census(),
      retiredBytes: (mapper?.retiredFrames ?? 0) * pageBytes,
      mappings: mapper?.regions.all.filter((region) => !region.guard).length ?? 0,
      ...(Object.fromEntries(counterNames.map((name) => [name, counters[name]])) as Pick<VmStats, (typeof counterNames)[number]>),
      tlbHits: this.memory.tlb.hits,
      tlbMisses: this.memory.tlb.misses,
      pressure: this.reclaim?.stats() ?? null,
    };
  }

  private mapper(): ActorRef<MapperMsg> | Promise<ActorRef<MapperMsg>> {
    return this.vmActor<MapperMsg>(mapperName);
  }

  private reclaimer(): ActorRef<ReclaimerMsg> | Promise<ActorRef<ReclaimerMsg>> {
    return this.vmActor<ReclaimerMsg>(reclaimerName);
  }

  /**
   * The VM actor named `name`: at once when it is known here. On another CPU than the mapper's, its
   * name may not have arrived yet right after boot: wait for it, up to `vmActorWaitMs`.
   */
  private vmActor<M extends Message>(name: string): ActorRef<M> | Promise<ActorRef<M>> {
    const ref = this.kernel.lookup<M>(name);
    if (ref !== undefined) return ref;
    if (this.reclaim !== null) return Promise.reject(notRunning(name));
    return new Promise((resolve, reject) => {
      const startedMs = this.kernel.clock.now();
      const look = (): void => {
        const found = this.kernel.lookup<M>(name);
        if (found !== undefined) resolve(found);
        else if (this.kernel.clock.now() - startedMs >= vmActorWaitMs) reject(notRunning(name));
        else this.kernel.clock.setTimer(1, look);
      };
      look();
    });
  }
}

/** How long a CPU waits for the name of a VM actor of another CPU, in ms. */
const vmActorWaitMs = 1_000;

function notRunning(name: string): UsageError {
  return new UsageError(`the VM's ${name} is not running: the kernel is stopping, or the vm subsystem gave up`);
}
