/**
 * Decayed runtime with a normalisation factor (OSv's `thread_runtime`, after the design note linked
 * from `include/osv/sched.hh`).
 *
 * An entity's runtime is R = p·∫e^{-(t-s)/τ}ds over the intervals it ran: recent CPU time counts
 * fully, older time fades with τ. The run queue is ordered by R. Decaying every R as time passes
 * would touch every entity on every tick, so each entity stores R'' = R·c instead, where c is one
 * number per CPU that grows like e^{t/τ}: an entity that does not run keeps its R'' while c grows,
 * which is exactly its R decaying. Running for dt multiplies c by e^{dt/τ} and adds p·(c_new − c_old)
 * to the runner's R''. When c reaches `normFactorMax`, c and every *runnable* R'' are multiplied by
 * 2^-126 (exact: a power of two) and the CPU's renormalisation count goes up; a sleeper fixes itself
 * up when it wakes, from how many renormalisations it missed (`updateAfterSleep`).
 *
 * Shares: two hogs are switched so their R stay level, so each one's decayed CPU time is ∝ 1/p.
 * New entities start at R'' = 0 (R = 0, no history); a long sleeper's R has decayed towards 0 on its
 * own. OSv does not clamp them to the queue's minimum (Linux CFS's min_vruntime does): decay bounds
 * the head start, a hog's R never exceeds p·τ, so a newcomer leads it by at most ln2·τ of CPU.
 */
import { assert, invariantBroken } from '../../ground/assert.js';
import { contextSwitchPenaltyMs, hysteresisMs, normFactorInitial, normFactorMax, renormalizeCountMax, renormalizeScale, SchedLimit } from './limits.js';

/** A CPU's side of the accounting (OSv `cpu::c`, `cpu::renormalize_count`). */
export interface NormClock {
  /** The normalisation factor c. */
  c: number;
  /** Renormalisations so far (wraps to 0 at `renormalizeCountMax`; never −1). */
  renormalizeCount: number;
}

/** An entity's side (OSv `thread_runtime`). The scheduler's entities implement it. */
export interface Runtime {
  /** Share ∝ 1/priority; `Infinity` is the idle class, whose runtime is always `Infinity`. */
  readonly priority: number;
  /** R'' = R·c, local to the CPU whose clock `renormalizeCount` refers to. */
  runtime: number;
  /** The CPU renormalisation count `runtime` is scaled for; −1: exported (R itself), or new. */
  renormalizeCount: number;
}

/** The count of an exported (or never-run) runtime: `runtime` holds R, not R·c. */
export const runtimeExported = -1;

export function createNormClock(): NormClock {
  return { c: normFactorInitial, renormalizeCount: 0 };
}

/**
 * e^{dtMs/τ}. Every turn charges one, almost always for microseconds: x = dt/τ is then below 2^-10,
 * where the series to x⁴/4! is within an ulp or two of `Math.exp` (the first term left out, x⁵/5!,
 * is under 2^-56 of the result) at a third of its cost. A turn of a message or two, the commonest
 * charge, needs only the series to x²/2. OSv takes 1 + x there.
 */
export function expTau(dtMs: number): number {
  const x = dtMs * SchedLimit.decayPerMs;
  // Literals, not module constants (see SchedLimit). For 0 ≤ x < 2^-17 (a turn of up to 1.5 µs),
  // the terms after x²/2 are under 2^-53 of the result, half an ulp of 1. (Below 1, half an ulp is
  // 2^-54: small negative x, which no charge makes, takes the longer series.)
  if (x >= 0 && x < 2 ** -17) return 1 + x * (1 + x * 0.5);
  if (x < 2 ** -10 && x > -(2 ** -10)) return 1 + x * (1 + x * (0.5 + x * (1 / 6 + x * (1 / 24))));
  return Math.exp(x);
}

const hysteresisStopFactor = expTau(hysteresisMs);
const hysteresisStartFactor = expTau(-hysteresisMs);
const penaltyFactor = expTau(contextSwitchPenaltyMs);

/**
 * OSv `ran_for`: `runtime` ran for `ranMs` on the CPU of `clock` (`null`: time nobody is charged for,
 * the idle thread or a real-time entity, which still advances c). Returns true when c has reached
 * `normFactorMax`: the caller must then `renormalize` the CPU's runnable entities.
 */
export function charge(clock: NormClock, runtime: Runtime | null, ranMs: number): boolean {
  // An infinite interval makes c infinite, which scaleClock catches.
  if (!(ranMs >= 0)) invariantBroken('a charge is a non-negative interval');
  return scaleClock(clock, runtime, expTau(ranMs));
}

/** OSv `hysteresis_run_start` = ran_for(−thyst): the credit of an entity being switched in. */
export function hysteresisRunStart(clock: NormClock, runtime: Runtime): boolean {
  return scaleClock(clock, runtime, hysteresisStartFactor);
}

/**
 * `runtime`'s R'' with the hysteresis credit of its switch-in applied (what `hysteresisRunStart`
 * would make it), leaving both unchanged.
 */
export function creditedRuntime(clock: NormClock, runtime: Runtime): number {
  return runtime.runtime + runtime.priority * (clock.c * hysteresisStartFactor - clock.c);
}

/**
 * What a fair entity that blocks after running `ranMs` pays (OSv's `ran_for`, then
 * `hysteresis_run_stop`), as one scaling of c by the product of their factors: the same sum up to
 * rounding, in one pass on every turn's path. While the credit of its switch-in is still owed
 * (`creditOwed`), only the `charge`: that credit and its payback cancel.
 */
export function chargeSleeper(clock: NormClock, runtime: Runtime, ranMs: number, creditOwed: boolean): boolean {
  if (!(ranMs >= 0)) invariantBroken('a charge is a non-negative interval');
  const factor = expTau(ranMs);
  return scaleClock(clock, runtime, creditOwed === true ? factor : factor * hysteresisStopFactor);
}

/** OSv `hysteresis_run_stop` = ran_for(+thyst): the credit paid back when switched out. */
export function hysteresisRunStop(clock: NormClock, runtime: Runtime): boolean {
  return scaleClock(clock, runtime, hysteresisStopFactor);
}

/** OSv `add_context_switch_penalty` = ran_for(penalty), charged to an entity that preempted another. */
export function addContextSwitchPenalty(clock: NormClock, runtime: Runtime): boolean {
  return scaleClock(clock, runtime, penaltyFactor);
}

function scaleClock(clock: NormClock, runtime: Runtime | null, factor: number): boolean {
  const cold = clock.c;
  const cnew = cold * factor;
  // Checks written inline (invariantBroken): every turn runs this, deep in the inliner's reach. Each
  // value is checked where it is made, with no variable shared by the branches: a number that is
  // an integer on one path and a fraction on another makes V8 box it in a heap number every time.
  if (runtime !== null) {
    const before = runtime.runtime;
    // R'' = 0 is the same at every scale, so its count is whatever the CPU's is (OSv sets it here too).
    if (before === 0) runtime.renormalizeCount = clock.renormalizeCount;
    // < 0: runtimeExported, written as a comparison with a literal (see SchedLimit).
    else if (runtime.renormalizeCount < 0) invariantBroken('charge of an exported runtime: wake it first');
    // p = ∞ stays at ∞: without the special case a zero-length charge would make ∞·0 = NaN.
    // R'' may dip below 0 while a newcomer holds its hysteresis credit; it is paid back at switch-out.
    const charged = runtime.priority === Number.POSITIVE_INFINITY ? Number.POSITIVE_INFINITY : before + runtime.priority * (cnew - cold);
    if (Number.isNaN(charged)) invariantBroken('runtimes are numbers');
    runtime.runtime = charged;
  }
  clock.c = cnew;
  if (!(cnew > 0 && cnew < Number.POSITIVE_INFINITY)) invariantBroken('the normalisation factor stays finite');
  return cnew >= SchedLimit.normFactorMax;
}

/**
 * The CPU half of a renormalisation: c ·= 2^-126 and the count moves on. The caller scales every
 * runnable entity with `renormalizeRunnable` right after (sleepers catch up in `updateAfterSleep`).
 */
export function renormalizeClock(clock: NormClock): void {
  assert(clock.c >= normFactorMax, 'renormalise only once c has reached its bound');
  clock.c *= renormalizeScale;
  clock.renormalizeCount = clock.renormalizeCount === renormalizeCountMax ? 0 : clock.renormalizeCount + 1;
  assert(clock.c < normFactorMax, 'one renormalisation brings c back below its bound');
}

/** The entity half, for a running or queued entity (scaling all of them alike keeps their order). */
export function renormalizeRunnable(clock: NormClock, runtime: Runtime): void {
  runtime.runtime *= renormalizeScale;
  runtime.renormalizeCount = clock.renormalizeCount;
}

/**
 * OSv `update_after_sleep`: bring a sleeper's (or a migrated entity's) runtime to this CPU's scale.
 * Missed no renormalisation: nothing; exported: R'' = R·c; missed one: ·2^-126; missed more: it
 * has decayed by at least 2^-126 twice over, call it 0 (a fresh start, as for a new entity).
 */
export function updateAfterSleep(clock: NormClock, runtime: Runtime): void {
  // Nearly every wake missed no renormalisation: that test alone stays small enough for V8 to inline.
  if (runtime.renormalizeCount !== clock.renormalizeCount) catchUp(clock, runtime);
}

function catchUp(clock: NormClock, runtime: Runtime): void {
  const count = clock.renormalizeCount;
  if (runtime.renormalizeCount === runtimeExported) runtime.runtime *= clock.c;
  else if (nextCount(runtime.renormalizeCount) === count) runtime.runtime *= renormalizeScale;
  else if (runtime.runtime !== Number.POSITIVE_INFINITY) runtime.runtime = 0;
  runtime.renormalizeCount = count;
  if (Number.isNaN(runtime.runtime)) invariantBroken('a woken runtime is a number');
}

/** OSv `export_runtime`: turn a CPU-local R'' into the global R (before a migration). */
export function exportRuntime(clock: NormClock, runtime: Runtime): void {
  assert(runtime.renormalizeCount === clock.renormalizeCount || runtime.runtime === 0, 'export a runtime of this CPU, brought up to date');
  if (runtime.runtime !== Number.POSITIVE_INFINITY) runtime.runtime /= clock.c;
  runtime.renormalizeCount = runtimeExported;
}

/** R itself (priority · ms): comparable across CPUs and over time, for tests and stats. */
export function decayedRuntime(clock: NormClock, runtime: Runtime): number {
  if (runtime.renormalizeCount === runtimeExported) return runtime.runtime;
  assert(runtime.renormalizeCount === clock.renormalizeCount || runtime.runtime === 0, 'read a runtime brought up to date');
  return runtime.runtime / clock.c;
}

function nextCount(count: number): number {
  return count === renormalizeCountMax ? 0 : count + 1;
}
