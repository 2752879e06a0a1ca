/**
 * The bound on a worker CPU's buffer memory. `Kernel.boot({ workerHeapMbMax })` bounds V8's heap
 * through the worker's resource limits, but ArrayBuffer memory lives outside that heap: a worker
 * could hold gigabytes of `Uint8Array`s and never be stopped. V8 counts that memory per isolate
 * (`external_memory` in `v8.getHeapStatistics()`, which a worker reads for itself alone), so the
 * worker checks it on a timer and, past the same bound, throws `BufferMemoryError`: an uncaught
 * error ends the worker, and its CPU restarts, as for a heap overflow.
 *
 * SharedArrayBuffers are not in that count (V8 keeps their backing stores apart), so the worker
 * counts those it allocates itself (`countSharedBuffers`) and adds them. SharedArrayBuffers it receives
 * from other threads (the interconnect's rings, which the host allocates) are not its allocations and
 * are not counted.
 */
import { getHeapStatistics } from 'node:v8';
import type { Clock } from '../../../drivers/clock/clock.js';
import { BufferMemoryError } from '../../../ground/errors.js';

/** How often a worker looks at its buffer memory: a leak grows past the bound by at most what it allocates in this time. */
export const bufferCheckMs = 50;

/** The MiB of buffer memory this thread holds: its isolate's ArrayBuffer memory, and `sharedBytes` more. */
export function bufferMb(sharedBytes = 0): number {
  return Math.round((getHeapStatistics().external_memory + sharedBytes) / 2 ** 20);
}

/**
 * Counts the SharedArrayBuffers this thread allocates from now on, until each is collected: the
 * global constructor becomes a subclass that counts. `instanceof SharedArrayBuffer` still holds for
 * buffers made before, or in other threads. A growable buffer counts its length when made. Returns
 * the bytes counted now. Call it before any module that may allocate them is imported.
 *
 * @example
 * ```ts
 * const sharedBytes = countSharedBuffers();
 * new SharedArrayBuffer(1024);
 * sharedBytes(); // 1024
 * ```
 */
export function countSharedBuffers(): () => number {
  const Original = globalThis.SharedArrayBuffer;
  let bytes = 0;
  const collected = new FinalizationRegistry<number>((length) => (bytes -= length));
  class CountedSharedArrayBuffer extends Original {
    constructor(...args: ConstructorParameters<typeof Original>) {
      super(...args);
      bytes += this.byteLength;
      collected.register(this, this.byteLength);
    }
    static override [Symbol.hasInstance](value: unknown): boolean {
      return Function.prototype[Symbol.hasInstance].call(Original, value);
    }
  }
  globalThis.SharedArrayBuffer = CountedSharedArrayBuffer as SharedArrayBufferConstructor;
  return () => bytes;
}

/**
 * Checks this worker's buffer memory every `bufferCheckMs` on `clock` and throws `BufferMemoryError`
 * from the timer past `bufferMbMax`. Returns the function that stops the checks.
 *
 * @example
 * ```ts
 * const stop = watchBufferMemory(core.clock, cpu, 64, countSharedBuffers()); // throws from a timer once past 64 MiB
 * ```
 */
export function watchBufferMemory(clock: Clock, cpu: number, bufferMbMax: number, sharedBytes: () => number = () => 0): () => void {
  let timer = clock.setTimer(bufferCheckMs, check);
  function check(): void {
    const held = bufferMb(sharedBytes());
    if (held > bufferMbMax) throw new BufferMemoryError(cpu, held, bufferMbMax);
    timer = clock.setTimer(bufferCheckMs, check);
  }
  return () => clock.cancelTimer(timer);
}
