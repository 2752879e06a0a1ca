/** Fixtures shared by every suite that boots a simulated kernel. */
import type { ChildFailure, DeadLetter, Kernel, KernelEvent } from '../../actors/runtime/index.js';

/** Shuts a simulated kernel down, driving its clock until it is gone. */
export async function shutdown(kernel: Kernel): Promise<void> {
  if (kernel.isStopped) return;
  const done = kernel.shutdown();
  await kernel.simulatedClock.runUntilIdle();
  await done;
}

export function collectEvents(kernel: Kernel): KernelEvent[] {
  const events: KernelEvent[] = [];
  kernel.events.subscribe((event) => events.push(event));
  return events;
}

export function collectFailures(kernel: Kernel): ChildFailure[] {
  const failures: ChildFailure[] = [];
  kernel.failures.subscribe((failure) => failures.push(failure));
  return failures;
}

export function collectDeadLetters(kernel: Kernel): DeadLetter[] {
  const letters: DeadLetter[] = [];
  kernel.deadLetters.subscribe((letter) => letters.push(letter));
  return letters;
}
