/**
 * The clock driver: the only source of time and deferred work for the kernel.
 *
 * Actors, supervisors and protocols never read the wall clock or arm platform timers themselves;
 * they ask the kernel, which asks its clock. Swapping the real clock for the simulated one is what
 * makes a whole kernel run on virtual time and replay from a seed.
 *
 * @example
 * ```ts
 * const clock = createSimulatedClock();
 * clock.setTimer(50, () => console.log('fired at', clock.now())); // fired at 50
 * await clock.advance(100);
 * ```
 */
export interface Clock {
  /** Which kind of clock this is; the simulated one also exposes `advance` and `runUntilIdle`. */
  readonly kind: 'real' | 'simulated';
  /** Monotonic milliseconds since the clock was created (fractional on the real clock). */
  now(): number;
  /**
   * Calls `callback` once, `delayMs` from now (0 or negative: on the next timer turn, after
   * scheduled work). Throws RangeError for NaN, ±Infinity or more than 2^31 − 1 ms, the longest
   * delay Node's timers honour; both clocks refuse the same delays.
   */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  /** Cancels a timer that has not fired yet; cancelling twice or after firing does nothing. */
  cancelTimer(handle: TimerHandle): void;
  /**
   * Whether the armed timer `handle` keeps the program going while it waits, as every timer does
   * when armed (Node's `ref` and `unref`). One that does not still fires when it falls due while
   * something else keeps the program going; alone, it lets the process exit, and a simulated
   * clock's `runUntilIdle` stop. Does nothing for a timer that fired or was cancelled. (A clock of
   * one's own from before this method, given as `BootOptions.clock`, still works: the kernel then
   * cancels the timers it would let go.)
   *
   * @example
   * ```ts
   * const handle = clock.setTimer(5_000, expire);
   * clock.keepAlive(handle, false); // armed, but nothing waits on it
   * ```
   */
  keepAlive(handle: TimerHandle, keep: boolean): void;
  /**
   * Runs `callback` as soon as possible after the current synchronous work, before any timer that
   * is due later. The dispatcher uses this to schedule its next drain.
   */
  schedule(callback: () => void): void;
  /**
   * Runs `callback` right after the current synchronous work, before the event loop gets control
   * back (a microtask on the real clock; the same queue as `schedule` on the simulated one, whose
   * order does not depend on it). For bounded work only: a chain of them starves I/O.
   */
  soon(callback: () => void): void;
  /**
   * Sleeps this thread while `words[index]` holds `expected`, for at most `timeoutMs` (Infinity:
   * no bound): `Atomics.wait` on shared memory. `not-equal` at once if the word differs, `ok` when
   * another thread notified it, `timed-out` when the bound passed. A timed wait reads time, which is
   * why it is the clock's: a simulated clock's thread never sleeps and throws.
   */
  waitWhile(words: Int32Array, index: number, expected: number, timeoutMs: number): WaitOutcome;
  /** `waitWhile` that leaves the event loop running: the outcome comes as a promise (`Atomics.waitAsync`). */
  waitWhileAsync(words: Int32Array, index: number, expected: number, timeoutMs: number): Promise<WaitOutcome>;
}

/** How a wait on a shared word ended (Atomics.wait's answers). */
export type WaitOutcome = 'ok' | 'not-equal' | 'timed-out';

/** Opaque handle of an armed timer. */
export interface TimerHandle {
  readonly dueMs: number;
}
