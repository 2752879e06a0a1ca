/** Helpers the shared item store's suites share: a kernel with a VM, and values to store. */
import { configure, defaultSubsystems, Kernel } from '../../../boot/index.js';
import { virtualMemory } from '../../../actors/vm/subsystem.js';

/** `length` bytes that differ from one value to the next (`seed`) and along the value. */
export function patterned(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed * 131 + i * 7 + (i >>> 8)) & 0xff;
  return bytes;
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** A simulated kernel of one CPU with `physicalBytes` of physical memory. */
export function bootVm(physicalBytes: number): Promise<Kernel> {
  return Kernel.boot({ mode: 'simulated', subsystems: [...defaultSubsystems, configure(virtualMemory, { physicalBytes })] });
}
