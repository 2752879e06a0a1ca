/** Fixtures shared by every suite that boots a simulated kernel. */
import type { ChildFailure, DeadLetter, Kernel, KernelEvent } from '../../boot/index.js';
import { CpuNode } from '../../actors/cpu/cpu-node.js';

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

/**
 * Runs a simulated kernel's clock a virtual millisecond at a time (busy CPUs never go idle) until
 * `pending` settles, and returns it; fails after `virtualMsMax`.
 */
export async function settledOnClock<T>(kernel: Kernel, pending: Promise<T>, virtualMsMax = 1_000): Promise<T> {
  let done = false;
  pending.then(
    () => (done = true),
    () => (done = true),
  );
  for (let ms = 0; !done; ms++) {
    if (ms === virtualMsMax) throw new Error(`no answer within ${virtualMsMax} virtual ms`);
    await kernel.simulatedClock.advance(1);
  }
  return pending;
}

/** Runs all work that is ready now on a simulated kernel, without moving virtual time (pending deadlines stay pending). */
export async function settle(kernel: Kernel): Promise<void> {
  await kernel.simulatedClock.advance(0);
}

/** Runs what is ready on a simulated kernel, then returns what `pending` (an ask made just before) settled to. */
export async function answered<T>(kernel: Kernel, pending: Promise<T>): Promise<T> {
  await settle(kernel);
  return pending;
}

/** The routing core of a multi-CPU kernel's CPU 0 (its CpuNode), for tests that look at its ports and outboxes. */
export function nodeOf(kernel: Kernel): CpuNode {
  const node = kernel.core.node;
  if (!(node instanceof CpuNode)) throw new TypeError('this kernel runs one CPU: it has no routing core');
  return node;
}
