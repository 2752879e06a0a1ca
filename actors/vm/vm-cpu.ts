/**
 * The VM on one CPU: its handles on the shared memory, and its half of the TLB shootdown. On the
 * mapper's CPU (CPU 0) it also holds the Mapper, whose frames freed by a change wait until every other
 * CPU that is up has acknowledged the change's generation (`vm.shootdown` out, `vm.acknowledged`
 * back, frames.ts). A CPU acknowledges when the frame reaches it, between two turns: whatever access
 * or view an earlier turn had is over, and its TLB is flushed.
 *
 * @example
 * ```ts
 * const vm = new VmCpu(buffers, host.kernel.cpu, host.routing);
 * vm.mapper?.map(4096);
 * vm.changed(); // shoot down, or release at once on a one-CPU kernel
 * ```
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { VM_SHOOTDOWN } from '../../protocols/vm.js';
import type { FrameRouting } from '../cpu/frame-registry.js';
import { CpuMemory } from './cpu-memory.js';
import { generationReached, Mapper } from './mapper.js';
import type { PhysicalMemoryBuffers } from './physical-memory.js';

/**
 * The CPU of the mapper and the reclaimer: the main thread's. The address space's bookkeeping (its
 * regions, the frames waiting for a grace period) lives in that thread's heap, and a worker CPU can
 * die and restart without it; the main thread cannot die without the whole kernel.
 */
export const mapperCpu = 0;

export class VmCpu {
  readonly memory: CpuMemory;
  /** The single writer of the structure: on the VM's CPU only. */
  readonly mapper: Mapper | null;
  /** The generation each other CPU was last sent a shootdown for. */
  private readonly sent: number[];

  constructor(
    buffers: PhysicalMemoryBuffers,
    readonly cpu: number,
    private readonly routing: FrameRouting | null,
  ) {
    if (!(cpu < buffers.cpus)) invariantBroken(`cpu ${cpu} has no place in a VM made for ${buffers.cpus} CPUs`);
    this.memory = new CpuMemory(buffers, cpu);
    this.mapper = cpu === mapperCpu ? new Mapper(this.memory.tables, this.memory.cache, this.memory.access) : null;
    this.sent = new Array<number>(buffers.cpus).fill(0);
  }

  /**
   * After a change on the VM's CPU, or an acknowledgement: sends the newest generation to each CPU
   * that has not acknowledged it, and releases what every CPU let go. One shootdown at a time is
   * out to a CPU: changes made while it is out wait for its answer and go in the next one, so a burst
   * of changes costs each CPU one or two frames. `resend` sends again what is out (it may be lost
   * with a CPU that restarted). Returns whether retired frames still wait for an acknowledgement.
   */
  changed(resend = false): boolean {
    const mapper = this.mapper;
    assert(mapper !== null, 'only the VM CPU changes the structure');
    const generation = mapper.generation;
    if (this.routing !== null && mapper.retiredFrames > 0) {
      for (let cpu = 0; cpu < this.memory.physical.cpus; cpu++) {
        const acknowledged = this.acknowledged(cpu);
        if (cpu === this.cpu || this.routing.isDown(cpu) || generationReached(acknowledged, generation)) continue;
        if (!generationReached(acknowledged, this.sent[cpu]!) && !resend) continue;
        this.sent[cpu] = generation;
        this.routing.send(cpu, { type: VM_SHOOTDOWN, generation });
      }
    }
    mapper.release(this.everyoneAcknowledged());
    return mapper.retiredFrames > 0;
  }

  /** Calls `listener` with each other CPU that goes down (its worker died); returns the way to stop. A kernel of one CPU has none. */
  onCpuDown(listener: (cpu: number) => void): () => void {
    return this.routing?.onCpuDown(listener) ?? (() => undefined);
  }

  /** This CPU got a shootdown: flush its TLB and record the generation it has seen. */
  acknowledge(generation: number): void {
    this.memory.access.flush();
    const word = this.memory.physical.cpuWord(this.cpu);
    if (!generationReached(Atomics.load(this.memory.physical.words, word), generation)) Atomics.store(this.memory.physical.words, word, generation);
  }

  /** The generation CPU `cpu` has acknowledged. */
  acknowledged(cpu: number): number {
    return Atomics.load(this.memory.physical.words, this.memory.physical.cpuWord(cpu));
  }

  /** The newest generation every other CPU that is up has acknowledged. */
  private everyoneAcknowledged(): number {
    let generation = this.memory.physical.generation();
    if (this.routing === null) return generation;
    for (let cpu = 0; cpu < this.memory.physical.cpus; cpu++) {
      const acknowledged = this.acknowledged(cpu);
      if (cpu !== this.cpu && !this.routing.isDown(cpu) && !generationReached(acknowledged, generation)) generation = acknowledged;
    }
    return generation;
  }
}
