/**
 * Exponential backoff between restarts, with jitter from the seeded random driver and a reset
 * window (Akka's `restartWithBackoff`).
 *
 * @example
 * ```ts
 * const backoff: BackoffOptions = { minDelayMs: 100, maxDelayMs: 10_000, factor: 2, jitter: 0.2, resetAfterMs: 30_000 };
 * backoffDelayMs(3, backoff, 0.5); // 400: 100 · 2², jitter centred
 * ```
 */
export interface BackoffOptions {
  /** Delay before the first restart. */
  readonly minDelayMs: number;
  /** The delay never grows past this. */
  readonly maxDelayMs: number;
  /** Growth per consecutive restart (default 2). */
  readonly factor?: number;
  /** Fraction of the delay randomised either way, in [0, 1] (default 0.2). */
  readonly jitter?: number;
  /** A failure this long after the previous restart starts the sequence again (default maxDelayMs). */
  readonly resetAfterMs?: number;
}

export function validateBackoff(options: BackoffOptions): void {
  const { minDelayMs, maxDelayMs, factor = 2, jitter = 0.2 } = options;
  if (!(minDelayMs >= 0 && maxDelayMs >= minDelayMs)) throw new RangeError('backoff needs 0 ≤ minDelayMs ≤ maxDelayMs');
  if (!(factor >= 1)) throw new RangeError('backoff factor must be ≥ 1');
  if (!(jitter >= 0 && jitter <= 1)) throw new RangeError('backoff jitter must be within [0, 1]');
}

/** The delay before restart number `attempt` (1-based); `sample` is a uniform draw in [0, 1). */
export function backoffDelayMs(attempt: number, options: BackoffOptions, sample: number): number {
  const { minDelayMs, maxDelayMs, factor = 2, jitter = 0.2 } = options;
  const base = Math.min(maxDelayMs, minDelayMs * factor ** Math.max(0, attempt - 1));
  return Math.max(0, Math.round(base * (1 - jitter + 2 * jitter * sample)));
}
