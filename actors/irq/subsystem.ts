/**
 * The interrupt subsystem as a plug-in: on each CPU, an interrupt controller (controller.ts) whose
 * actor is the first child of the `irq` supervisor, the handler actors it spawns beside it, the
 * `irq.batch` frame that carries events to handlers on other CPUs, and the vectors' counters in the
 * kernel's status. Booted by default.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot(); // scheduling and interrupts by default
 * const irq = kernel.subsystem(interrupts);
 * const vector = await irq.allocate({ name: 'nic0', handler: interruptHandler<Packet>(onPackets) });
 * ```
 */
import { defineSubsystem } from '../plugin/subsystem.js';
import { InterruptController } from './controller.js';
import { irqBatchFrame } from './frames.js';

export const interrupts = defineSubsystem<InterruptController>({
  name: 'irq',
  module: import.meta.url,
  frames: [irqBatchFrame],
  start(host) {
    const controller = new InterruptController(host);
    return {
      handle: () => controller,
      children: [controller.anchorSpec()],
      status: () => ({ vectors: controller.allStats() }),
    };
  },
});
