/**
 * OTP's restart intensity: at most `restartsMax` restarts within any `restartWindowMs`. Pure
 * functions over the list of recent restart times, so the supervisor machine stays pure.
 */
export interface IntensityLimits {
  readonly restartsMax: number;
  readonly restartWindowMs: number;
}

/** Restart times still inside the window that ends at `atMs`; inclusive, as OTP's: a restart exactly `restartWindowMs` old counts. */
export function restartsInWindow(restartTimesMs: readonly number[], atMs: number, limits: IntensityLimits): number[] {
  return restartTimesMs.filter((time) => atMs - time <= limits.restartWindowMs);
}

/** Whether one more restart at `atMs` stays within the limits. */
export function allowsRestart(restartTimesMs: readonly number[], atMs: number, limits: IntensityLimits): boolean {
  return restartsInWindow(restartTimesMs, atMs, limits).length + 1 <= limits.restartsMax;
}
