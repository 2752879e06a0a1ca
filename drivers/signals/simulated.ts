/**
 * The simulated signal source: signals arrive only when a test says so, synchronously, in
 * subscription order, so a simulated kernel's reaction to SIGTERM replays exactly.
 */
import { assertSignalName, type SignalName, type SignalSource } from './signals.js';

/** A {@link SignalSource} driven by its owner. */
export interface SimulatedSignals extends SignalSource {
  readonly kind: 'simulated';
  /** Delivers `name` to every current listener, now; returns how many were called. */
  raise(name: SignalName): number;
}

/**
 * Creates a signal source for tests.
 *
 * @example
 * ```ts
 * const signals = createSimulatedSignals();
 * await shutdownOnSignals(kernel, signals);
 * signals.raise('SIGTERM'); // the kernel shuts down gracefully
 * ```
 */
export function createSimulatedSignals(): SimulatedSignals {
  const listeners = new Map<SignalName, Set<(name: SignalName) => void>>();
  return {
    kind: 'simulated',
    onSignal(name, listener) {
      assertSignalName(name);
      if (typeof listener !== 'function') throw new TypeError('onSignal: listener must be a function');
      // Wrapped, so one callback subscribed twice is two subscriptions, as with the real source.
      const subscription = (signal: SignalName): void => listener(signal);
      let set = listeners.get(name);
      if (set === undefined) listeners.set(name, (set = new Set()));
      set.add(subscription);
      return () => void set.delete(subscription);
    },
    listenerCount(name) {
      return listeners.get(name)?.size ?? 0;
    },
    raise(name) {
      assertSignalName(name);
      // A snapshot: a listener that unsubscribes (or subscribes) while we deliver does not change this delivery.
      const current = [...(listeners.get(name) ?? [])];
      for (const listener of current) listener(name);
      return current.length;
    },
  };
}
