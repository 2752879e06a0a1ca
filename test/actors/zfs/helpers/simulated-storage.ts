/** A simulated kernel with the storage subsystem, and a maker of its simulated devices (8 MiB by default). */
import { storage } from '../../../../actors/zfs/subsystem.js';
import { defaultSubsystems, Kernel } from '../../../../boot/index.js';
import { createMemoryDevice, type MemoryDevice } from '../../../../drivers/block/index.js';

export async function simulatedStorage(seed: number, latencyMs: readonly [number, number] = [0.1, 2]) {
  const kernel = await Kernel.boot({ mode: 'simulated', seed, subsystems: [...defaultSubsystems, storage] });
  const disk = (name: string, sizeBytes = 8 << 20): MemoryDevice =>
    createMemoryDevice({ name, sizeBytes, clock: kernel.clock, random: kernel.random.stream(name), faults: { latencyMs: [...latencyMs] } });
  return { kernel, zfs: kernel.subsystem(storage), disk };
}
