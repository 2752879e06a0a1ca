import type { ActorRef } from './ref.js';

/**
 * Why an actor stopped. `normal` and `shutdown` are normal exits; the others are abnormal and
 * propagate over links. `noproc` means the actor was already gone when it was monitored.
 */
export type ExitReason = 'normal' | 'shutdown' | 'killed' | 'crashed' | 'noproc';

export function isNormalExit(reason: ExitReason): boolean {
  return reason === 'normal' || reason === 'shutdown';
}

/** A monitored actor stopped for good (a restart in place is not a stop). */
export interface DownSignal {
  readonly type: 'down';
  readonly ref: ActorRef<never>;
  readonly reason: ExitReason;
  readonly error?: unknown;
}

/** A linked actor exited; delivered as a signal only to actors that trap exits. */
export interface ExitSignal {
  readonly type: 'exit';
  readonly from: ActorRef<never>;
  readonly reason: ExitReason;
  readonly error?: unknown;
}

/** A child crashed. A plain parent sees this after the child was stopped; supervisors act on it. */
export interface ChildFailedSignal {
  readonly type: 'child-failed';
  readonly child: ActorRef<never>;
  readonly error: unknown;
  /** The message the child was handling when it crashed (undefined if it crashed elsewhere). */
  readonly message: unknown;
}

/** Signals reach `signal(sig, ctx)` of a behaviour, never its `receive`, so `M` stays the user's own. */
export type Signal = DownSignal | ExitSignal | ChildFailedSignal;
