import { IRQ_TIMER, type IrqTimer, type VectorStats } from '../../protocols/irq.js';
import type { TimerHandle } from '../../drivers/clock/clock.js';
import { invariantBroken } from '../../ground/assert.js';
import { ClosedError } from '../../ground/errors.js';
import type { AnyActorRef } from '../runtime/ref.js';
import type { InterruptController } from './controller.js';
import type { InterruptHandlerBehavior } from './handler.js';
import { timersArmedCountMax } from './limits.js';
import type { VectorNumber } from './vector.js';

/** Timers of the kernel's clock delivered as interrupts on one vector. */
export interface TimerSource {
  readonly vector: VectorNumber<IrqTimer>;
  /** Arms a one-shot timer `delayMs` from now on the kernel's clock; returns its id (from 1). */
  arm(delayMs: number, tag?: string): number;
  /** Cancels an armed timer; false if it already fired or was cancelled. */
  cancel(id: number): boolean;
  /** Timers armed and not yet fired. */
  readonly armedCount: number;
  /** Cancels every armed timer and frees the vector; resolves with its final stats. */
  close(): Promise<VectorStats>;
}

export interface TimerInterruptOptions {
  /** The handler of the vector (see `VectorSpec.handler`). */
  readonly handler: AnyActorRef | InterruptHandlerBehavior<IrqTimer, never>;
  /** Vector name (default `timer`). */
  readonly name?: string;
  /** Ring capacity in events (default 1024). */
  readonly ringCapacity?: number;
}

/**
 * A timer device: each expiry of a timer armed here on the kernel's clock driver is an interrupt.
 * The clock's callback is the ISR (it only raises `irq.timer` on the vector); expiries that land
 * before the handler runs are delivered together, in firing order, in one wake. On a simulated
 * kernel the timers follow virtual time (`kernel.simulatedClock.advance(ms)`).
 *
 * Timers are one-shot and bounded (`timersArmedCountMax`); freeing the vector cancels them all.
 *
 * @example
 * ```ts
 * const timers = await timerInterrupts(irq, { handler: interruptHandler<IrqTimer>((fired) => tick(fired)) });
 * timers.arm(10, 'poll');
 * await kernel.simulatedClock.advance(10); // the handler gets [{ type: 'irq.timer', id: 1, tag: 'poll', dueMs: 10, firedMs: 10 }]
 * ```
 */
export async function timerInterrupts(controller: InterruptController, options: TimerInterruptOptions): Promise<TimerSource> {
  const clock = controller.kernel.clock;
  const vector = await controller.allocate<IrqTimer>({
    name: options.name ?? 'timer',
    handler: options.handler,
    ...(options.ringCapacity !== undefined ? { ringCapacity: options.ringCapacity } : {}),
  });
  const armed = new Map<number, TimerHandle>();
  let seq = 0;
  let open = true;
  controller.onFree(vector, () => {
    open = false;
    for (const handle of armed.values()) clock.cancelTimer(handle);
    armed.clear();
  });
  return {
    vector,
    arm(delayMs, tag = '') {
      if (!open) throw new ClosedError(`the timer source on irq ${vector}`, 'arm a timer');
      if (armed.size >= timersArmedCountMax) throw new RangeError(`timer source on irq ${vector}: ${timersArmedCountMax} timers already armed`);
      const id = ++seq;
      const handle = clock.setTimer(delayMs, () => {
        const fired = armed.delete(id);
        if (!fired) invariantBroken(`timer ${id} of irq ${vector} fired after it was cancelled`);
        controller.raise(vector, { type: IRQ_TIMER, id, tag, dueMs: handle.dueMs, firedMs: clock.now() });
      });
      armed.set(id, handle);
      return id;
    },
    cancel(id) {
      const handle = armed.get(id);
      if (handle === undefined) return false;
      clock.cancelTimer(handle);
      armed.delete(id);
      return true;
    },
    get armedCount() {
      return armed.size;
    },
    close: () => controller.free(vector),
  };
}
