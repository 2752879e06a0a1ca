/**
 * Virtual memory as a plug-in: one address space over physical memory that every CPU shares (OSv's
 * single address space). Boot allocates the physical memory once (`prepare`), so every CPU maps the
 * same SharedArrayBuffers; each CPU then opens its views, its frame cache and its TLB, and the VM's
 * CPU starts the mapper actor, the one writer of the structure, under the `vm` supervisor.
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
import { defineSubsystem } from '../plugin/subsystem.js';
import { createPhysicalMemory } from './cpu-memory.js';
import { registerVmCpu, vmAcknowledgedFrame, vmShootdownFrame } from './frames.js';
import { physicalBytesDefault } from './limits.js';
import { mapperActor, mapperName } from './mapper-actor.js';
import type { PhysicalMemoryBuffers } from './physical-memory.js';
import { VirtualMemory } from './virtual-memory.js';
import { VmCpu, vmCpu } from './vm-cpu.js';

export interface VmOptions {
  /** Physical memory, in bytes: whole 2 MiB pages, at most 4 GiB (default 64 MiB). Committed as it is touched. */
  readonly physicalBytes?: number;
  /** Set by boot for each kernel (`prepare`): the memory every CPU shares. Leave it out. */
  readonly buffers?: PhysicalMemoryBuffers;
}

export const virtualMemory = defineSubsystem<VirtualMemory, VmOptions>({
  name: 'vm',
  module: import.meta.url,
  frames: [vmShootdownFrame, vmAcknowledgedFrame],
  options: {},
  prepare(options, machine) {
    return { ...options, buffers: createPhysicalMemory(options.physicalBytes ?? physicalBytesDefault, machine.cpus) };
  },
  start(host) {
    const buffers = host.options.buffers;
    if (buffers === undefined) throw new UsageError('the vm subsystem starts from the memory boot prepares for it: list it in Kernel.boot({ subsystems })');
    const vm = new VmCpu(buffers, host.kernel.cpu, host.routing);
    registerVmCpu(host.kernel, vm);
    const handle = new VirtualMemory(host.kernel, vm);
    return {
      handle: () => handle,
      children: host.kernel.cpu === vmCpu ? [{ id: 'mapper', start: mapperActor(vm), restart: 'permanent', options: { name: mapperName } }] : [],
      status: () => handle.stats(),
    };
  },
});
