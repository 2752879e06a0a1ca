/**
 * The real clock: `Clock` on top of Node's monotonic timer and event loop.
 *
 * This is the only place outside tests where the kernel touches platform time; everything above
 * the drivers asks a `Clock`, so the same code runs unchanged on the simulated clock.
 */
import { performance } from 'node:perf_hooks';
import type { Clock, TimerHandle, WaitOutcome } from './clock.js';
import { assertCallback, assertDelayMs } from './timer-arguments.js';

/** Options of {@link createRealClock}. */
export interface RealClockOptions {
  /**
   * `unref()` every armed timer, so pending kernel timers alone do not keep the process alive.
   * Off by default: a kernel that is waiting for a timer is still doing work, and exiting early
   * would silently drop it. Turn it on for daemons whose liveness comes from their I/O handles.
   */
  readonly unrefTimers?: boolean;
}

export { timerDelayMsMax } from './timer-arguments.js';

/** @internal A real timer: the Node timer plus the due time promised to the caller. */
class RealTimerHandle implements TimerHandle {
  constructor(
    readonly dueMs: number,
    readonly timer: NodeJS.Timeout,
  ) {}
}

/**
 * Creates a clock backed by `performance.now()`, `setTimeout` and `setImmediate`.
 *
 * `now()` counts from the moment the clock was created, so logs of a real run and of a simulated
 * run (which starts at 0) line up.
 *
 * @example
 * ```ts
 * const clock = createRealClock();
 * const handle = clock.setTimer(50, () => console.log('fired near', clock.now()));
 * clock.cancelTimer(handle); // never fires
 * clock.schedule(() => console.log('after the current synchronous work'));
 * ```
 */
export function createRealClock(options: RealClockOptions = {}): Clock {
  const unrefTimers = options.unrefTimers ?? false;
  const originMs = performance.now();

  const now = (): number => performance.now() - originMs;

  const resolved = Promise.resolve();
  return {
    kind: 'real',
    now,

    setTimer(delayMs: number, callback: () => void): TimerHandle {
      assertDelayMs(delayMs);
      assertCallback(callback, 'setTimer');
      // Negative delays mean "as soon as possible"; Node would clamp them to 1 ms anyway.
      const delayMsClamped = Math.max(0, delayMs);
      const dueMs = now() + delayMsClamped;
      const timer = setTimeout(callback, delayMsClamped);
      if (unrefTimers) timer.unref();
      return new RealTimerHandle(dueMs, timer);
    },

    cancelTimer(handle: TimerHandle): void {
      if (!(handle instanceof RealTimerHandle)) {
        throw new TypeError('cancelTimer: the handle was not created by a real clock');
      }
      // clearTimeout is idempotent and ignores timers that already fired, as the contract asks.
      clearTimeout(handle.timer);
    },

    keepAlive(handle: TimerHandle, keep: boolean): void {
      if (!(handle instanceof RealTimerHandle)) {
        throw new TypeError('keepAlive: the handle was not created by a real clock');
      }
      // A clock made with unrefTimers keeps no timer of its own alive.
      if (keep && !unrefTimers) handle.timer.ref();
      else handle.timer.unref();
    },

    schedule(callback: () => void): void {
      assertCallback(callback, 'schedule');
      // Why setImmediate and not queueMicrotask: the dispatcher reschedules its next drain from
      // inside a drain. Microtasks run before the event loop gets control back, so a busy kernel
      // would starve every I/O callback. setImmediate runs in the check phase, right after the
      // poll phase, so I/O completions interleave with kernel drains, and it still runs before
      // timers that are due later, as the Clock contract asks (timers need at least 1 ms).
      setImmediate(callback);
    },

    soon(callback: () => void): void {
      // On every ask's path: a resolved promise's `then`, which costs about 30 ns less than
      // queueMicrotask (no validation, no async-resource wrap).
      assertCallback(callback, 'soon');
      resolved.then(callback);
    },

    waitWhile(words: Int32Array, index: number, expected: number, timeoutMs: number): WaitOutcome {
      return Atomics.wait(words, index, expected, timeoutMs);
    },

    waitWhileAsync(words: Int32Array, index: number, expected: number, timeoutMs: number): Promise<WaitOutcome> {
      const result = atomicsWaitAsync(words, index, expected, timeoutMs);
      // The wait's own promise, not an async function's around it: each such layer puts a microtask
      // between a wake and its waiter, on a path that runs cold after an idle CPU
      // (docs/measured-limits.md §3i).
      return result.async ? result.value : Promise.resolve(result.value);
    },
  };
}

type WaitAsyncResult =
  | { readonly async: false; readonly value: 'not-equal' | 'timed-out' }
  | { readonly async: true; readonly value: Promise<'ok' | 'timed-out'> };
// Atomics.waitAsync is in Node 20 (V8 11.3) but only in TypeScript's ES2024 lib; this project targets ES2022.
const atomicsWaitAsync = (
  Atomics as unknown as {
    waitAsync(array: Int32Array, index: number, value: number, timeoutMs?: number): WaitAsyncResult;
  }
).waitAsync;
