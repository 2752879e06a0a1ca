/**
 * The bound on a worker CPU's buffer memory. `Kernel.boot({ workerHeapMbMax })` bounds V8's heap
 * through the worker's resource limits, but ArrayBuffer memory lives outside that heap: a worker
 * could hold gigabytes of `Uint8Array`s and never be stopped. V8 counts that memory per isolate
 * (`external_memory` in `v8.getHeapStatistics()`, which a worker reads for itself alone), so the
 * worker checks it on a timer and, past the same bound, throws `BufferMemoryError`: an uncaught
 * error ends the worker, and its CPU restarts, as for a heap overflow.
 *
 * SharedArrayBuffers are not in that count (V8 keeps their backing stores apart), so memory shared
 * through them is not bounded here; the interconnect's own rings are allocated by the host anyway.
 */
import { getHeapStatistics } from 'node:v8';
import type { Clock } from '../../../drivers/clock/clock.js';
import { BufferMemoryError } from '../../../ground/errors.js';

/** How often a worker looks at its buffer memory: a leak grows past the bound by at most what it allocates in this time. */
export const bufferCheckMs = 50;

/** The MiB of ArrayBuffer memory this thread's isolate holds. */
export function bufferMb(): number {
  return Math.round(getHeapStatistics().external_memory / 2 ** 20);
}

/**
 * Checks this worker's buffer memory every `bufferCheckMs` on `clock` and throws `BufferMemoryError`
 * from the timer past `bufferMbMax`. Returns the function that stops the checks.
 *
 * @example
 * ```ts
 * const stop = watchBufferMemory(core.clock, cpu, 64); // throws from a timer once past 64 MiB
 * ```
 */
export function watchBufferMemory(clock: Clock, cpu: number, bufferMbMax: number): () => void {
  let timer = clock.setTimer(bufferCheckMs, check);
  function check(): void {
    const held = bufferMb();
    if (held > bufferMbMax) throw new BufferMemoryError(cpu, held, bufferMbMax);
    timer = clock.setTimer(bufferCheckMs, check);
  }
  return () => clock.cancelTimer(timer);
}
