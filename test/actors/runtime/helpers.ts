import { Kernel, type DeadLetter, type KernelEvent } from '../../../actors/runtime/index.js';

/** A simulated kernel for tests: virtual time, seed 1 unless given. */
export async function bootSimulated(seed = 1, options: { mailboxCapacity?: number; askDeadlineMs?: number } = {}): Promise<Kernel> {
  return Kernel.boot({ mode: 'simulated', seed, ...options });
}

/** Runs all work that is ready now, without moving virtual time (pending deadlines stay pending). */
export async function settle(kernel: Kernel): Promise<void> {
  await kernel.simulatedClock.advance(0);
}

/** Shuts a simulated kernel down, driving its clock until it is gone. */
export async function shutdown(kernel: Kernel): Promise<void> {
  const done = kernel.shutdown();
  await kernel.simulatedClock.runUntilIdle();
  await done;
}

export function collectDeadLetters(kernel: Kernel): DeadLetter[] {
  const letters: DeadLetter[] = [];
  kernel.deadLetters.subscribe((letter) => letters.push(letter));
  return letters;
}

export function collectEvents(kernel: Kernel): KernelEvent[] {
  const events: KernelEvent[] = [];
  kernel.events.subscribe((event) => events.push(event));
  return events;
}

/** Settles a promise that is expected to reject and returns the error. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}
