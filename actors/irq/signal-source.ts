import type { SignalSource } from '../../drivers/signals/signals.js';
import { IRQ_SIGNAL, type IrqSignal, type SignalName, signalNames } from '../../protocols/irq.js';
import type { KernelHandle } from '../plugin/subsystem.js';
import type { ActorContext } from '../runtime/context.js';
import type { AnyActorRef } from '../runtime/ref.js';
import type { InterruptController } from './controller.js';
import { interrupts } from './subsystem.js';
import { interruptHandler, type InterruptHandlerBehavior } from './handler.js';
import type { VectorNumber } from './vector.js';

/** Signals are rare: a small ring, and a flood past it is counted, not queued without bound. */
const signalRingCapacityEvents = 16;

/** A signal driver feeding an interrupt vector. */
export interface SignalRoute {
  readonly vector: VectorNumber<IrqSignal>;
  /** Stops listening and frees the vector (the controller also does both when it stops). */
  close(): Promise<void>;
}

export interface SignalInterruptOptions {
  /** The handler of the vector (see `VectorSpec.handler`). */
  readonly handler: AnyActorRef | InterruptHandlerBehavior<IrqSignal, never>;
  /** Signals to route (default SIGINT and SIGTERM). */
  readonly names?: readonly SignalName[];
  /** Vector name (default `signals`). */
  readonly name?: string;
}

/**
 * Routes process signals to an interrupt vector: the driver's listener is the device, each
 * delivery raises an `irq.signal` event, and the handler actor does the work in its own turn.
 *
 * @example
 * ```ts
 * const route = await signalInterrupts(irq, createRealSignals(), {
 *   handler: interruptHandler<IrqSignal>((signals) => log(signals.map((s) => s.name))),
 * });
 * ```
 */
export async function signalInterrupts(controller: InterruptController, source: SignalSource, options: SignalInterruptOptions): Promise<SignalRoute> {
  const names = options.names ?? signalNames;
  const vector = await controller.allocate<IrqSignal>({ name: options.name ?? 'signals', handler: options.handler, ringCapacity: signalRingCapacityEvents });
  let seq = 0;
  const unsubscribes = names.map((name) => source.onSignal(name, (signal) => void controller.raise(vector, { type: IRQ_SIGNAL, name: signal, seq: ++seq })));
  controller.onFree(vector, () => {
    for (const unsubscribe of unsubscribes) unsubscribe();
  });
  return {
    vector,
    close: async () => {
      if (!controller.isClosed) await controller.free(vector);
    },
  };
}

/** Options of {@link shutdownOnSignals}. */
export interface ShutdownOnSignalsOptions {
  /** Signals that shut the kernel down (default SIGINT and SIGTERM). */
  readonly names?: readonly SignalName[];
  /** Called in the handler's turn for each signal, before the shutdown starts (logging). */
  readonly onSignal?: (signal: IrqSignal, ctx: ActorContext<never>) => void;
}

/**
 * The graceful path from a process signal to `kernel.shutdown()`: signal → vector → handler
 * actor → shutdown. The whole tree then stops in order, each actor within its shutdown timeout
 * (its `stopped` hooks run), and the controller detaches the signal listeners as it stops, so the
 * process exits on its own once the kernel is down.
 *
 * @example
 * ```ts
 * const kernel = await Kernel.boot();
 * await shutdownOnSignals(kernel, createRealSignals());
 * // kill -TERM <pid>: the kernel stops gracefully, then the process exits with code 0
 * ```
 */
export async function shutdownOnSignals(kernel: KernelHandle, source: SignalSource, options: ShutdownOnSignalsOptions = {}): Promise<SignalRoute> {
  const controller = kernel.subsystem(interrupts);
  const handler = interruptHandler<IrqSignal>(
    (signals, ctx) => {
      for (const signal of signals) options.onSignal?.(signal, ctx);
      // Idempotent: a second signal joins the shutdown already running.
      void kernel.shutdown();
    },
    { label: 'signal-shutdown' },
  );
  return signalInterrupts(controller, source, { handler, name: 'shutdown-signals', ...(options.names !== undefined ? { names: options.names } : {}) });
}
