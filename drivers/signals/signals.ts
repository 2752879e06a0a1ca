/**
 * The signal driver: the only door through which process signals reach the kernel.
 *
 * The kernel never calls `process.on` itself; it asks a `SignalSource`, so a simulated kernel can be
 * sent a SIGTERM from a test (`createSimulatedSignals().raise('SIGTERM')`) and a real one gets the
 * process's own. Kernel code turns each delivery into an interrupt (see `actors/irq/signal-source.ts`).
 *
 * @example
 * ```ts
 * const signals = createSimulatedSignals();
 * const off = signals.onSignal('SIGTERM', (name) => console.log('got', name));
 * signals.raise('SIGTERM'); // got SIGTERM
 * off();
 * ```
 */
import type { SignalName } from '../../protocols/irq.js';

export type { SignalName };

export interface SignalSource {
  /** Which kind of source this is; the simulated one also exposes `raise`. */
  readonly kind: 'real' | 'simulated';
  /**
   * Calls `listener` each time the process receives `name`, until the returned function is called
   * (calling it twice does nothing). While a real source has a listener for a signal, the process
   * no longer dies of it: the listener decides.
   */
  onSignal(name: SignalName, listener: (name: SignalName) => void): () => void;
  /** Listeners currently subscribed to `name`. */
  listenerCount(name: SignalName): number;
}

/** The signal names a source accepts, checked at subscription (a typo must not subscribe silently). */
export function assertSignalName(name: string): asserts name is SignalName {
  if (name !== 'SIGINT' && name !== 'SIGTERM') throw new RangeError(`unsupported signal '${name}': the kernel routes SIGINT and SIGTERM`);
}
