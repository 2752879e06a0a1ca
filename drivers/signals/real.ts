/**
 * The real signal source: `SignalSource` on top of `process.on` / `process.off`.
 *
 * This is the only place in Osprey that listens to process signals; everything above the drivers
 * asks a `SignalSource`, so the same code runs unchanged with the simulated one.
 */
import { assertSignalName, type SignalName, type SignalSource } from './signals.js';

/**
 * Creates a source that listens to the process's own signals. Each subscription installs its own
 * `process.on` listener and its unsubscribe removes exactly that listener, so other listeners in
 * the process are left alone.
 *
 * @example
 * ```ts
 * const signals = createRealSignals();
 * const off = signals.onSignal('SIGTERM', () => void kernel.shutdown());
 * ```
 */
export function createRealSignals(): SignalSource {
  const counts = new Map<SignalName, number>();
  return {
    kind: 'real',
    onSignal(name, listener) {
      assertSignalName(name);
      if (typeof listener !== 'function') throw new TypeError('onSignal: listener must be a function');
      // A fresh function per subscription: process.off removes it by identity, so two
      // subscriptions with the same callback stay independent.
      const onProcessSignal = (): void => listener(name);
      process.on(name, onProcessSignal);
      counts.set(name, (counts.get(name) ?? 0) + 1);
      let subscribed = true;
      return () => {
        if (!subscribed) return;
        subscribed = false;
        process.off(name, onProcessSignal);
        counts.set(name, counts.get(name)! - 1);
      };
    },
    listenerCount(name) {
      return counts.get(name) ?? 0;
    },
  };
}
