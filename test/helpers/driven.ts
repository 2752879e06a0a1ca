/** Drives a simulated clock until a promise settles, for tests of simulated devices. */
import type { SimulatedClock } from '../../drivers/clock/simulated.js';

/**
 * Moves `clock` forward `stepMs` at a time until `work` settles, and returns what it gave (or
 * throws what it threw); fails if it has not settled after `stepsMax` steps.
 */
export async function drivenBy<T>(clock: SimulatedClock, work: Promise<T>, stepMs = 0.5, stepsMax = 100_000): Promise<T> {
  const outcome: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  work.then(
    (value) => Object.assign(outcome, { settled: true, value }),
    (error: unknown) => Object.assign(outcome, { settled: true, error }),
  );
  await Promise.resolve();
  for (let step = 0; step < stepsMax && !outcome.settled; step++) await clock.advance(stepMs);
  if (!outcome.settled) throw new Error(`the work did not settle within ${stepsMax} steps of ${stepMs} ms`);
  if ('error' in outcome) throw outcome.error;
  return outcome.value as T;
}
