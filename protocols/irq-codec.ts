/** The codec of irq frames, in its own module: msgpackr loads with it (see frame-codec.ts). */
import { createCodec, type Codec } from './codec.js';
import { type IrqMessage, irqRegistry } from './irq.js';

/**
 * A codec for irq messages; one per peer CPU and thread.
 *
 * @example
 * ```ts
 * const frame = createIrqCodec().encode({ type: IRQ_SIGNAL, name: 'SIGTERM', seq: 1 });
 * ```
 */
export function createIrqCodec(options: { structures?: boolean } = {}): Codec<IrqMessage> {
  return createCodec({ registry: irqRegistry as never, ...options }) as Codec<IrqMessage>;
}
