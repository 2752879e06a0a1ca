/** Fixtures shared by every suite that boots a simulated kernel. */
import type { ChildFailure, DeadLetter, Kernel, KernelEvent } from '../../boot/index.js';
import { CpuNode } from '../../actors/cpu/cpu-node.js';

/**
 * Shuts a simulated kernel down, driving its clock until nothing is left: stricter than
 * `kernel.runUntil(kernel.shutdown())`, it fails a test whose kernel keeps a timer past its shutdown.
 */
export async function shutdown(kernel: Kernel): Promise<void> {
  if (kernel.isStopped) return;
  const done = kernel.shutdown();
  await kernel.runUntilIdle();
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

/**
 * Drives a simulated kernel until `pending` settles (`kernel.runUntil`), and returns it; fails with
 * `UnsettledError` if nothing can settle it, or after `virtualMsMax` of virtual time.
 */
export function settledOnClock<T>(kernel: Kernel, pending: Promise<T>, virtualMsMax = 1_000): Promise<T> {
  return kernel.runUntil(pending, { timeMsMax: virtualMsMax });
}

/** Runs all work that is ready now on a simulated kernel, without moving virtual time (`kernel.settle`). */
export function settle(kernel: Kernel): Promise<void> {
  return kernel.settle();
}

/**
 * Runs what is ready on a simulated kernel, then returns what `pending` (an ask made just before)
 * settled to; unlike `kernel.runUntil`, it never moves virtual time, so it shows that no timer was needed.
 */
export async function answered<T>(kernel: Kernel, pending: Promise<T>): Promise<T> {
  await kernel.settle();
  return pending;
}

/** The routing core of a multi-CPU kernel's CPU 0 (its CpuNode), for tests that look at its ports and outboxes. */
export function nodeOf(kernel: Kernel): CpuNode {
  const node = kernel.core.node;
  if (!(node instanceof CpuNode)) throw new TypeError('this kernel runs one CPU: it has no routing core');
  return node;
}
