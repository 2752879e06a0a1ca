/**
 * How long the running entity may keep the CPU (OSv's `time_until` and preemption timer), and the
 * rule the dispatcher applies between messages.
 *
 * OSv arms a timer at now + time_until(head) and preempts from the interrupt. JavaScript cannot
 * interrupt a handler, so here the slice becomes a deadline the dispatcher compares with its clock
 * after each message: a turn overshoots its slice by at most one message, and the overshoot is
 * charged like any other CPU time, so it is paid back in runtime.
 */
import { assert } from '../../ground/assert.js';
import type { NormClock, Runtime } from './decayed-runtime.js';
import { sliceMsMin, tauMs, timeUntilOvershoot } from './limits.js';

/**
 * OSv `time_until`: how long `runtime` must run for its R'' to reach `targetRuntime` (another
 * entity's R''), τ·ln(1 + (target − R'')/(p·c)), overshot by `timeUntilOvershoot`. `Infinity`: never
 * (an idle-class runner, or an idle-class target); 0 when it is already there.
 */
export function timeUntil(clock: NormClock, runtime: Runtime, targetRuntime: number): number {
  if (runtime.priority === Number.POSITIVE_INFINITY || targetRuntime === Number.POSITIVE_INFINITY) return Number.POSITIVE_INFINITY;
  const growth = 1 + (targetRuntime - runtime.runtime) / runtime.priority / clock.c;
  if (growth <= 1) return 0;
  const ms = tauMs * Math.log(growth) * timeUntilOvershoot;
  assert(ms > 0, 'time_until of a target above us is positive');
  return ms;
}

/**
 * The slice of a fair entity that runs ahead of `targetRuntime` (the queue's head): `time_until`,
 * at least `sliceMsMin` so a reschedule is never due after every message.
 */
export function sliceMs(clock: NormClock, runtime: Runtime, targetRuntime: number): number {
  const ms = timeUntil(clock, runtime, targetRuntime);
  return ms < sliceMsMin ? sliceMsMin : ms;
}

/** What a turn was granted; `pickNext` fills it in. */
export interface TurnGrant {
  /** When the slice ends (`Infinity`: no rival, or the real-time class). */
  readonly deadlineMs: number;
  /** Messages the turn may handle before the next reschedule point. */
  readonly messagesMax: number;
}

/**
 * The preemption rule between messages: the turn ends, and the dispatcher calls `pickNext`, when the
 * slice has run out, the message budget is spent, or a wake made a reschedule necessary (OSv's
 * `need_reschedule`).
 */
export function turnOver(grant: TurnGrant, nowMs: number, messagesHandled: number, needReschedule: boolean): boolean {
  return needReschedule || messagesHandled >= grant.messagesMax || nowMs >= grant.deadlineMs;
}
