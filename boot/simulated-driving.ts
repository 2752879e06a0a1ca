/**
 * Driving a simulated kernel from outside it: the work behind `kernel.runUntil`, and what a
 * simulated kernel still has to do, for the errors that say why a promise never settled.
 *
 * A simulated kernel's virtual time moves only when someone drives its clock, so an `await` on an
 * ask, a spawn or a shutdown settles only if the awaiting code drives it meanwhile. `runUntil`
 * does both at once: it moves the clock from timer to timer until the promise settles, and tells a
 * deadlock (the kernel ran out of work with the promise pending) apart from a run that hit its bound.
 */
import type { SimulatedClock } from '../drivers/clock/simulated.js';
import { BoundExceededError, type PendingWork, UnsettledError } from '../ground/errors.js';
import type { KernelCore } from '../actors/runtime/kernel-core.js';

/** Bounds of a run of a simulated kernel (`kernel.runUntil`, `kernel.runUntilIdle`). */
export interface RunBounds {
  /** How far virtual time may move in this run. Default 3_600_000 (one virtual hour). */
  readonly timeMsMax?: number;
  /** Most clock callbacks this run may run. Default 10_000_000. */
  readonly stepsMax?: number;
}

/**
 * Runs `clock` from timer to timer until `promise` settles, and returns what it settled to.
 * Rejects with `UnsettledError` if the kernel runs out of work first (`why: 'idle'`) or the run
 * reaches `bounds` (`why: 'bound'`); `cores` are the kernels whose asks in flight the error counts.
 */
export async function runUntilSettled<T>(clock: SimulatedClock, cores: readonly KernelCore[], promise: PromiseLike<T>, bounds: RunBounds): Promise<T> {
  const pending = Promise.resolve(promise);
  let settled = false;
  // Handles a rejection too, so a promise that rejects while the clock runs is not reported as
  // unhandled; the caller gets the rejection from the return below.
  pending.then(
    () => (settled = true),
    () => (settled = true),
  );
  const startMs = clock.now();
  try {
    await clock.runUntilIdle({ timeMsMax: bounds.timeMsMax, stepsMax: bounds.stepsMax, stopWhen: () => settled });
  } catch (error) {
    if (!(error instanceof BoundExceededError) || settled) throw error;
    throw new UnsettledError('bound', clock.now() - startMs, clock.now(), pendingWorkOf(clock, cores), { cause: error });
  }
  if (!settled) throw new UnsettledError('idle', clock.now() - startMs, clock.now(), pendingWorkOf(clock, cores));
  return pending;
}

/** What the kernels on `clock` still have to do. */
export function pendingWorkOf(clock: SimulatedClock, cores: readonly KernelCore[]): PendingWork {
  let asks = 0;
  for (const core of cores) asks += core.asks.size;
  return { asks, timers: clock.pendingTimers(), ready: clock.pendingWork() };
}
