/**
 * Fault points in code (FoundationDB's BUGGIFY): places where code may take a rare but legal path
 * (a retry, a slow path, a full buffer) so that a simulation exercises it. A simulated run installs
 * its decider on each CPU's kernel core (`KernelCore.faultPoints`); outside a simulation it is null,
 * and every point takes the common path for one branch. Actors reach it as `ctx.maybe(site)`.
 *
 * A point's rare path must be one the code's contract allows: a fault point tests that the code
 * copes with what can happen, never makes it do what it must not.
 *
 * @example
 * ```ts
 * // in an actor
 * if (ctx.maybe('cache miss')) return reload(ctx);   // sometimes, under osprey/sim
 * ```
 */

export interface FaultPoints {
  /** Whether the point `site` takes its rare path now; `share` is how often an enabled site fires (the decider's default when left out). */
  maybe(site: string, share?: number): boolean;
}
