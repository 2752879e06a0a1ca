/**
 * Devices that raise on vectors: the clock driver's timers (virtual time) and process signals
 * (simulated source), including the graceful path signal → vector → handler → kernel.shutdown().
 */
import { expect } from 'chai';
import { shutdownOnSignals, signalInterrupts, timerInterrupts, interruptHandler } from '../../../actors/irq/index.js';
import { fromSetup, Kernel } from '../../../boot/index.js';
import { createSimulatedSignals } from '../../../drivers/signals/index.js';
import type { IrqSignal, IrqTimer } from '../../../protocols/irq.js';
import { irqRegistry } from '../../../protocols/irq.js';
import { bootWithIrq, settled, shutdown } from './helpers.js';

describe('irq sources', () => {
  it('turns timer expiries into interrupts, in firing order, on virtual time', async () => {
    const { kernel, irq } = await bootWithIrq();
    const batches: IrqTimer[][] = [];
    const timers = await settled(kernel, timerInterrupts(irq, { handler: interruptHandler<IrqTimer>((fired) => void batches.push([...fired])) }));
    const a = timers.arm(10, 'a');
    const b = timers.arm(10, 'b');
    const c = timers.arm(20, 'c');
    const d = timers.arm(30, 'd');
    expect(timers.cancel(d)).to.equal(true);
    expect(timers.cancel(d)).to.equal(false);
    expect(timers.armedCount).to.equal(3);
    await kernel.simulatedClock.advance(10);
    // The simulated clock runs ready work between two timers due at the same time, so each expiry
    // finds the line idle and is its own wake (the real clock fires both in one timers phase).
    expect(batches.flat()).to.deep.equal([
      { type: 'irq.timer', id: a, tag: 'a', dueMs: 10, firedMs: 10 },
      { type: 'irq.timer', id: b, tag: 'b', dueMs: 10, firedMs: 10 },
    ]);
    await kernel.simulatedClock.advance(15);
    expect(batches.flat().map((t) => t.id)).to.deep.equal([a, b, c]);
    for (const timer of batches.flat()) irqRegistry.validate(timer);
    expect(irq.stats(timers.vector)).to.include({ raised: 3, delivered: 3, wakes: 3 });
    // Closing cancels what is still armed: no timer of the source outlives its vector.
    timers.arm(5, 'never');
    const pending = kernel.simulatedClock.pendingTimers();
    const stats = await settled(kernel, timers.close());
    expect(kernel.simulatedClock.pendingTimers()).to.equal(pending - 1);
    expect(stats.raised).to.equal(3);
    expect(() => timers.arm(1)).to.throw(/closed/);
    await shutdown(kernel);
  });

  it('routes signals to a vector with a sequence number, and detaches the listeners on close', async () => {
    const { kernel, irq } = await bootWithIrq();
    const signals = createSimulatedSignals();
    const seen: IrqSignal[] = [];
    const route = await settled(kernel, signalInterrupts(irq, signals, { handler: interruptHandler<IrqSignal>((events) => void seen.push(...events)) }));
    expect([signals.listenerCount('SIGINT'), signals.listenerCount('SIGTERM')]).to.deep.equal([1, 1]);
    signals.raise('SIGINT');
    signals.raise('SIGTERM');
    kernel.simulatedClock.runReady();
    expect(seen).to.deep.equal([
      { type: 'irq.signal', name: 'SIGINT', seq: 1 },
      { type: 'irq.signal', name: 'SIGTERM', seq: 2 },
    ]);
    expect(irq.stats(route.vector).wakes).to.equal(1);
    await settled(kernel, route.close());
    expect([signals.listenerCount('SIGINT'), signals.listenerCount('SIGTERM')]).to.deep.equal([0, 0]);
    await shutdown(kernel);
  });

  it('shuts the kernel down gracefully on SIGTERM: stopped hooks run, listeners are detached', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 3 });
    const signals = createSimulatedSignals();
    const log: string[] = [];
    kernel.spawn(fromSetup(() => ({ receive() {}, stopped: (_ctx, reason) => void log.push(`app stopped: ${reason}`) })));
    await settled(kernel, shutdownOnSignals(kernel, signals, { onSignal: (signal) => void log.push(`signal ${signal.name}`) }));
    expect(signals.listenerCount('SIGTERM')).to.equal(1);
    signals.raise('SIGTERM');
    await kernel.simulatedClock.runUntilIdle();
    expect(kernel.isStopped).to.equal(true);
    expect(log).to.deep.equal(['signal SIGTERM', 'app stopped: shutdown']);
    expect([signals.listenerCount('SIGINT'), signals.listenerCount('SIGTERM')]).to.deep.equal([0, 0]);
    await shutdown(kernel);
  });
});
