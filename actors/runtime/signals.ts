import type { MonitorRef } from './monitor.js';
import type { ActorRef } from './ref.js';

/**
 * Why an actor (or one incarnation of it) ended, with OTP's meanings:
 * - `normal`: it finished. Links ignore it; a `transient` child is not restarted.
 * - `shutdown`, or `{ shutdown: why }`: it was told to stop. A linked actor that does not trap
 *   exits dies with the same reason; a `transient` child is not restarted.
 * - `crashed`: it threw (the error travels beside the reason).
 * - `killed`: it was killed without running its hooks (`exit(ref, 'kill')`, a shutdown timeout,
 *   `brutal-kill`).
 * - `noproc`: it was already gone when it was monitored or linked.
 * - any other plain value (a string, a number, an array or object of plain data): a custom,
 *   abnormal reason, as `exit(ref, reason)` gives. It crosses CPUs as data.
 */
export type ExitReason = StandardExitReason | ShutdownWith | CustomExitReason;

export type StandardExitReason = 'normal' | 'shutdown' | 'killed' | 'crashed' | 'noproc';

/** OTP's `{shutdown, Term}`: a shutdown that says why. */
export interface ShutdownWith {
  readonly shutdown: unknown;
}

/** A reason of the program's own; plain data. (`string & {}` keeps the standard names suggested.) */
export type CustomExitReason = (string & {}) | number | boolean | null | readonly unknown[] | { readonly [key: string]: unknown };

/** The untrappable exit signal: `exit(ref, 'kill')` ends the actor with reason `killed`, trapping or not. */
export const killSignal = 'kill';

/** A reason that is not an error: `normal`, `shutdown` or `{ shutdown: why }` (no restart of a transient child, no failure report). */
export function isCleanExit(reason: ExitReason): boolean {
  return reason === 'normal' || reason === 'shutdown' || isShutdownWith(reason);
}

export function isShutdownWith(reason: ExitReason): reason is ShutdownWith {
  return typeof reason === 'object' && reason !== null && !Array.isArray(reason) && 'shutdown' in reason;
}

/** The reason as one line of text, for errors and traces. */
export function exitReasonText(reason: ExitReason): string {
  return typeof reason === 'string' ? reason : JSON.stringify(reason);
}

/**
 * A monitored actor's incarnation ended. A restart in place keeps the ref working (it reaches the
 * next incarnation), but the monitor has fired and is gone, as in OTP where the restarted child is a
 * new process: monitor the ref again to watch the next incarnation.
 */
export interface DownSignal {
  readonly type: 'down';
  /** The monitor that fired (what `ctx.monitor` returned). */
  readonly monitor: MonitorRef;
  readonly ref: ActorRef<never>;
  readonly reason: ExitReason;
  readonly error?: unknown;
  /** What the actor finished with (a machine's output at its final state); only with reason `normal`. */
  readonly output?: unknown;
}

/**
 * An exit signal, delivered as a signal only to actors that trap exits: a linked actor ended, or
 * somebody called `exit(ref, reason)` on this one (`from` is then the caller, or `undefined` from
 * outside any actor).
 */
export interface ExitSignal {
  readonly type: 'exit';
  readonly from: ActorRef<never> | undefined;
  readonly reason: ExitReason;
  readonly error?: unknown;
  readonly output?: unknown;
}

/** A child crashed. A plain parent sees this after the child was stopped; supervisors act on it. */
export interface ChildFailedSignal {
  readonly type: 'child-failed';
  readonly child: ActorRef<never>;
  readonly error: unknown;
  /** The message the child was handling when it crashed (undefined if it crashed elsewhere). */
  readonly message: unknown;
}

/** `signal` with `error` and `output` where there are some (absent, not `undefined`, otherwise). */
export function withDetails<S extends DownSignal | ExitSignal>(signal: Omit<S, 'error' | 'output'>, error: unknown, output: unknown): S {
  const detailed = signal as { error?: unknown; output?: unknown };
  if (error !== undefined) detailed.error = error;
  if (output !== undefined) detailed.output = output;
  return detailed as S;
}

/** Signals reach `signal(sig, ctx)` of a behaviour, never its `receive`, so `M` stays the user's own. */
export type Signal = DownSignal | ExitSignal | ChildFailedSignal;
