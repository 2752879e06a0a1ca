/**
 * Virtual memory as a plug-in: one address space over physical memory that every CPU shares (OSv's
 * single address space). Boot allocates the physical memory once (`prepare`), so every CPU maps the
 * same buffers (shared ones when the CPUs are worker threads); each CPU then opens its views, its
 * frame cache and its TLB, and CPU 0 starts, under the `vm` supervisor, the mapper actor, the one
 * writer of the structure, and the reclaimer, which asks the shrinkers for memory when free memory
 * runs low.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot({ subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes: 256 << 20 })] });
 * const vm = kernel.subsystem(virtualMemory);
 * const address = await vm.mmap(1 << 20);
 * vm.memory.writeU8(address, 1);
 * ```
 */
import { UsageError } from '../../ground/errors.js';
import { balloonFaults } from './balloon-faults.js';
import { defineSubsystem, type Subsystem } from '../plugin/subsystem.js';
import { createPhysicalMemory } from './cpu-memory.js';
import { registerVmCpu, vmAcknowledgedFrame, vmShootdownFrame } from './frames.js';
import { physicalBytesDefault } from './limits.js';
import { mapperActor, mapperName } from './mapper-actor.js';
import { pressureFlagWord, type PhysicalMemoryBuffers } from './physical-memory.js';
import { Reclaim, reclaimerActor, reclaimerName, type ReclaimerMsg } from './reclaimer.js';
import { VirtualMemory } from './virtual-memory.js';
import { mapperCpu, VmCpu } from './vm-cpu.js';

export interface VmOptions {
  /** Physical memory, in bytes: whole 2 MiB pages, at most 4 GiB (default 64 MiB). Committed as it is touched. */
  readonly physicalBytes?: number;
  /** Set by boot for each kernel (`prepare`): the memory every CPU shares. Leave it out. */
  readonly buffers?: PhysicalMemoryBuffers;
}

export const virtualMemory: Subsystem<VirtualMemory, VmOptions> = defineSubsystem<VirtualMemory, VmOptions>({
  name: 'vm',
  module: import.meta.url,
  frames: [vmShootdownFrame, vmAcknowledgedFrame],
  faultKinds: [balloonFaults((kernel) => kernel.subsystem(virtualMemory))],
  options: {},
  prepare(options, machine) {
    return { ...options, buffers: createPhysicalMemory(options.physicalBytes ?? physicalBytesDefault, machine.cpus, machine.threaded) };
  },
  start(host) {
    const buffers = host.options.buffers;
    if (buffers === undefined) throw new UsageError('the vm subsystem starts from the memory boot prepares for it: list it in Kernel.boot({ subsystems })');
    const kernel = host.kernel;
    const vm = new VmCpu(buffers, kernel.cpu, host.routing);
    registerVmCpu(kernel, vm);
    // Below the watermark, the first allocation to notice wakes the reclaimer; the flag keeps the rest quiet until it looks.
    const words = vm.memory.physical.words;
    vm.memory.allocator.onLow = () => {
      if (Atomics.compareExchange(words, pressureFlagWord, 0, 1) !== 0) return;
      const reclaimer = kernel.lookup<ReclaimerMsg>(reclaimerName);
      if (reclaimer === undefined) Atomics.store(words, pressureFlagWord, 0);
      else reclaimer.tell({ type: 'vm.pressure' });
    };
    const reclaim = kernel.cpu === mapperCpu ? new Reclaim() : null;
    const handle = new VirtualMemory(kernel, vm, reclaim);
    return {
      handle: () => handle,
      children:
        reclaim === null
          ? []
          : [
              { id: 'mapper', start: mapperActor(vm), restart: 'permanent', options: { name: mapperName } },
              { id: 'reclaimer', start: reclaimerActor(vm, reclaim), restart: 'permanent', options: { name: reclaimerName } },
            ],
      status: () => handle.stats(),
    };
  },
});
