/**
 * Constants of the fair scheduler, units last (TigerBeetle style), taken from OSv's
 * `core/sched.cc` and `include/osv/sched.hh` and checked against each other when the module loads,
 * so a bad edit fails at boot rather than as a slow drift in fairness.
 *
 * Time is in milliseconds (floats: 0.01 is 10 µs). Runtimes are in "priority · ms", the unit of
 * OSv's R = p·∫e^{-(t-s)/τ}ds.
 */
import { assert } from '../../ground/assert.js';
import { batchMessagesMax } from '../runtime/limits.js';
import { slotsPerCpuMax } from '../../ground/pid.js';

/**
 * The limits below that the scheduler reads on every turn, as a const enum: tsc writes their values
 * into that code. To V8 an imported constant is a module binding, loaded and checked on each use
 * (a seventh of a sleep's instructions, measured), and a conditional that picks it or a fraction
 * boxes the result in a heap number; a literal is neither. The named constants are the same values.
 */
// biome-ignore lint/suspicious/noConstEnum: inlined by tsc (no isolatedModules), which is why it exists
export const enum SchedLimit {
  tauMs = 200,
  /** 1/τ: a multiplication by it costs a fraction of a division by τ, on every charge. */
  decayPerMs = 1 / tauMs,
  contextSwitchPenaltyMs = 0.01,
  intervalMsMax = 20 * tauMs,
  normFactorMax = 2 ** 63,
  sliceMsMin = 0.1,
}

/**
 * τ, the decay constant of the runtime average (OSv `tau`). Why 200 ms: it is the length of history
 * that counts; a newcomer or a long sleeper gets about ln2·τ ≈ 139 ms against a CPU hog before
 * the hog deserves the CPU again.
 */
export const tauMs = SchedLimit.tauMs;
/**
 * The hysteresis credit (OSv `thyst`): an entity switched in is credited this much runtime and pays
 * it back when switched out, so two equal hogs alternate every 2·hysteresisMs and two preemptions
 * are never closer than hysteresisMs.
 */
export const hysteresisMs = 5;
/** Runtime charged to an entity that preempts another (OSv `context_switch_penalty`, 10 µs). */
export const contextSwitchPenaltyMs = SchedLimit.contextSwitchPenaltyMs;
/**
 * Shortest slice handed out. OSv arms its preemption timer for any positive `time_until`, however
 * small; between messages a tiny slice would mean a reschedule after every message, so a slice is
 * at least this long (the overshoot is paid back in runtime, as OSv's own overshoot is).
 */
export const sliceMsMin = SchedLimit.sliceMsMin;
/**
 * Factor on `time_until` (OSv multiplies its fast log by 1.01): overshoot on purpose, so when the
 * slice ends the entity has really passed its rival and the reschedule switches.
 */
export const timeUntilOvershoot = 1.01;

/** The normalisation factor's starting value (OSv `cinitial`, 2^-63). */
export const normFactorInitial = 2 ** -63;
/** When the normalisation factor reaches this, every stored runtime is renormalised (OSv `cmax`, 2^63). */
export const normFactorMax = SchedLimit.normFactorMax;
/** What a renormalisation multiplies by: cinitial / cmax = 2^-126, a power of two, so exact. */
export const renormalizeScale = normFactorInitial / normFactorMax;
/**
 * Renormalisation counts wrap to 0 here (OSv's `int` wraps; −1 is reserved for "exported"). 20 bits,
 * so that an entity keeps its count in the word of its flags (entity.ts) rather than in a field of
 * 8 bytes per actor. A CPU renormalises about every 87·τ (17 s), so the count wraps after about 200
 * days. A sleeper that missed exactly a multiple of that many renormalisations is taken for one that
 * missed none: its stored R'' is then read against today's c, so its runtime looks up to 2^126 times
 * larger than it is, and it runs after its peers until that history decays (about 87·τ, 17 s). OSv's
 * wider count only makes the same case rarer; a sleep of about 200 days is its only trigger.
 */
export const renormalizeCountMax = 2 ** 20 - 2;
/**
 * Longest interval charged in one step. Why 20·τ: after that long every other history has decayed
 * by e^-20 (2·10^-9), so charging more changes nothing measurable, and e^20 keeps c finite (OSv
 * drops an interval that overflows c instead).
 */
export const intervalMsMax = SchedLimit.intervalMsMax;

/** Default fair priority; the CPU share is proportional to 1/priority (OSv `priority_default`). */
export const priorityDefault = 1;
/**
 * OSv's `priority_infinity` (driver, IRQ and TX worker threads). Here it selects the real-time
 * class: such entities are served FIFO before every fair entity.
 */
export const priorityInfinity = 1e-5;
/** OSv's `priority_idle`: runs only when nothing else is runnable. */
export const priorityIdle = Number.POSITIVE_INFINITY;
/** Fair priorities lie in [priorityMin, priorityMax]: shares differ by at most 10^6. */
export const priorityMin = 1e-3;
export const priorityMax = 1e3;

/** Entities one CPU's run queue can hold: the CPU's slot space (one entity per actor). */
export const runQueueCountMax = slotsPerCpuMax;
/** Messages per turn before a reschedule point (the dispatcher's batch, Pony's 100). */
export const turnMessagesMax = batchMessagesMax;

/** Period of each CPU's load balancer (OSv `load_balance`: 100 ms). */
export const balancePeriodMs = 100;
/** The balancer migrates only when another CPU's load is at least this much lower. */
export const balanceLoadDifferenceMin = 2;
/** Polls of the wake mask an idle CPU makes before it parks (OSv `do_idle`: 10 000). */
export const idlePollCountMax = 10_000;

assert(tauMs > 0 && Number.isFinite(tauMs), 'tauMs must be positive');
assert(hysteresisMs > 0 && 2 * hysteresisMs < tauMs, 'hysteresis must be short next to the decay constant');
assert(contextSwitchPenaltyMs > 0 && contextSwitchPenaltyMs < sliceMsMin, 'a slice must outlast a context switch');
assert(sliceMsMin < hysteresisMs, 'the minimum slice must not mask the hysteresis period');
assert(timeUntilOvershoot >= 1 && timeUntilOvershoot < 1.1, 'time_until overshoots, slightly');
assert(normFactorInitial * normFactorMax === 1, 'cinitial and cmax are reciprocal');
assert(renormalizeScale === 2 ** -126 && renormalizeScale > 0, 'renormalisation scales by an exact, normal power of two');
// One charge of intervalMsMax on top of c = cmax, at the largest priority, must stay finite.
assert(priorityMax * normFactorMax * Math.exp(intervalMsMax / tauMs) * tauMs < 1e300, 'runtimes stay finite');
assert(intervalMsMax >= 10 * tauMs, 'a clamped interval must have decayed every other history');
assert(priorityInfinity < priorityMin && priorityMin <= priorityDefault && priorityDefault <= priorityMax, 'priority bands are ordered');
assert(priorityMax < priorityIdle, 'idle is below every fair priority');
assert(Number.isInteger(runQueueCountMax) && runQueueCountMax >= 1, 'runQueueCountMax must be a positive integer');
assert(Number.isInteger(turnMessagesMax) && turnMessagesMax >= 1, 'turnMessagesMax must be a positive integer');
assert(balancePeriodMs > 2 * hysteresisMs, 'balancing is rarer than switching');
assert(balanceLoadDifferenceMin === 2, 'a difference of 1 would make the balancer ping-pong');
assert(Number.isInteger(idlePollCountMax) && idlePollCountMax >= 1, 'idlePollCountMax must be a positive integer');
