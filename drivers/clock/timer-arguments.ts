/**
 * The checks both clocks make of what they are handed, so the real and the simulated clock refuse
 * the same calls with the same errors. Plain tests, not node:assert: they run on every timer and
 * drain, and node:assert costs an import.
 */

/**
 * The longest delay Node's `setTimeout` honours. Larger values are not clamped to the maximum:
 * Node fires them after 1 ms with only a warning, so we refuse them instead.
 */
export const timerDelayMsMax = 2 ** 31 - 1;

/** Throws TypeError unless `callback` is a function. */
export function assertCallback(callback: unknown, operation: string): void {
  if (typeof callback !== 'function') throw new TypeError(`${operation}: callback must be a function, got ${typeof callback}`);
}

/** Throws RangeError for a delay that is not a finite number of ms, or longer than `timerDelayMsMax`. */
export function assertDelayMs(delayMs: number): void {
  if (typeof delayMs !== 'number' || !Number.isFinite(delayMs)) {
    throw new RangeError(`setTimer: delayMs must be a finite number of milliseconds, got ${String(delayMs)}`);
  }
  if (delayMs > timerDelayMsMax) {
    throw new RangeError(`setTimer: delayMs ${delayMs} exceeds timerDelayMsMax (${timerDelayMsMax} ms, about 24.8 days)`);
  }
}
