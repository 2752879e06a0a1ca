/**
 * The VM's frames between CPUs: a TLB shootdown to each CPU, and its acknowledgement back to the
 * VM's CPU, which nudges the mapper actor to release the frames every CPU has let go. A frame is
 * handled when its CPU pumps its rings, between two turns. Registered on every CPU by the subsystem.
 */
import { VM_ACKNOWLEDGED, vmAcknowledged, vmShootdown } from '../../protocols/vm.js';
import { defineFrameType } from '../cpu/frame-registry.js';
import type { KernelCore } from '../runtime/kernel-core.js';
import { mapperName, type MapperMsg } from './mapper-actor.js';
import type { VmCpu } from './vm-cpu.js';

/** The VM of each CPU's kernel, for the frame handlers (which get the kernel, not the subsystem). */
const vmOf = new WeakMap<KernelCore, VmCpu>();

export function registerVmCpu(kernel: KernelCore, vm: VmCpu): void {
  vmOf.set(kernel, vm);
}

export const vmShootdownFrame = defineFrameType(vmShootdown, (message, source, routing) => {
  const vm = vmOf.get(routing.kernel);
  if (vm === undefined) return;
  vm.acknowledge(message.generation);
  routing.send(source, { type: VM_ACKNOWLEDGED, cpu: vm.cpu, generation: message.generation });
});

export const vmAcknowledgedFrame = defineFrameType(vmAcknowledged, (_message, _source, routing) => {
  routing.kernel.lookup<MapperMsg>(mapperName)?.tell({ type: 'vm.acknowledged' });
});
