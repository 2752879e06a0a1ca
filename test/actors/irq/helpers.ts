/** Fixtures of the interrupt suite: a simulated kernel with its controller, and ways to drive it. */
import { Kernel } from '../../../boot/index.js';
import { interrupts, type InterruptController } from '../../../actors/irq/index.js';

export { collectEvents, collectFailures, shutdown } from '../../helpers/kernel.js';

/** A simulated kernel (virtual time, seed 1) and its interrupt controller. */
export async function bootWithIrq(seed = 1, scheduler: 'fair' | 'fifo' = 'fair'): Promise<{ kernel: Kernel; irq: InterruptController }> {
  const kernel = await Kernel.boot({ mode: 'simulated', seed, scheduler });
  const irq = kernel.subsystem(interrupts);
  return { kernel, irq };
}

/** Runs ready work (no virtual time passes) until `pending` settles, and returns its value. */
export async function settled<T>(kernel: Kernel, pending: Promise<T>): Promise<T> {
  pending.catch(() => {});
  await kernel.simulatedClock.advance(0);
  return pending;
}

/** Runs every kernel turn that is ready now, synchronously (no promise continuations). */
export function runTurns(kernel: Kernel): number {
  return kernel.simulatedClock.runReady();
}
