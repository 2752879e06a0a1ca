import { assert } from '../../ground/assert.js';

/** Messages an actor handles per turn before the dispatcher moves on (Pony's batch of 100). */
export const batchMessagesMax = 100;
/** Default bound of a user mailbox, in messages. */
export const mailboxCapacityDefault = 1_000;
/** Largest mailbox a user may ask for: mailboxes grow lazily up to their bound, never past it. */
export const mailboxCapacityMax = 1 << 24;
/** Slots a mailbox starts with once its first message arrives (idle actors allocate none). */
export const mailboxInitialSlots = 1;
/**
 * Empty mailboxes a CPU keeps for the next actor that gets mail: an actor idle for a while gives its
 * mailbox back (see `mailboxReclaimSleeps`), so it holds none (about 145 bytes each), and takes one
 * from here with its next message.
 */
export const mailboxPoolCountMax = 1_024;
/**
 * An actor that ran dry keeps its empty mailbox until this many more actors of its CPU have run dry
 * after it; if it sleeps on it empty then, the mailbox goes back to the pool (see MailboxPool).
 * A power of two.
 */
export const mailboxReclaimSleeps = 1_024;
/** Largest mailbox the pool keeps, in slots: a mailbox that grew for a burst is left to the GC. */
export const mailboxPooledSlotsMax = 16;
/** Bound of the system lane (supervision signals, stops, wakes), in signals. */
export const systemLaneCapacity = 65_536;
/** Default deadline of an ask. */
export const askDeadlineMsDefault = 5_000;
/** Default time an actor gets to stop (its children and its `stopped` hook) before it is killed. */
export const shutdownTimeoutMsDefault = 5_000;
/**
 * The budget of one drain, a const enum: tsc writes the numbers into the dispatchers' per-turn
 * checks, where an imported constant is a module binding V8 loads and checks on every use
 * (docs/measured-limits.md §3f).
 */
// biome-ignore lint/suspicious/noConstEnum: inlined by tsc (no isolatedModules), which is why it exists
export const enum DrainLimit {
  /** Turns one drain runs before giving the event loop back (real mode), so I/O is not starved. */
  turnsMax = 4_096,
  /**
   * Clock time, in ms, one drain of the fair scheduler runs before giving the event loop back, so
   * timers and I/O wait at most this long (plus one message) behind CPU-bound actors. Why 2 ms: a
   * yield costs a few µs, so the bound costs under 1 % of throughput, and a due timer is late by
   * 2 ms at most.
   */
  msMax = 2,
}
/**
 * Drains asked for from outside a drain (code that tells, a settled promise) that run right after
 * that code, as a microtask, before one waits for the event loop: what embedding code sends runs
 * without an event-loop hop, and a loop of such sends still lets I/O in. (An ask from outside runs
 * its drain inside the ask, bounded by time instead: see `Dispatcher.beginSendFromOutside`.)
 */
export const drainsSoonInRowMax = 64;
/**
 * Asks from outside in a row, within one turn of the event loop, that take the time the last drain
 * ended at instead of reading the clock (a reading costs 45–150 ns here, up to a sixth of an ask);
 * the next one reads it. Such an ask's drain starts from that time only if its first turn is charged
 * by the actor's learned cost. The time the estimate misses (the caller's code between asks) is then
 * charged to nobody at the next reading, as an idle CPU's is; only a drain of many turns that reads
 * the clock in the middle charges it to the actor whose turn that reading ends. The asks' window
 * (`DrainLimit.msMax`) is checked at readings, so it may run this many asks long.
 *
 * Why 64: the fair scheduler reads the clock anyway at least once every 51 such asks, for the ask
 * whose turn it measures (`estimatedTurnsInRowMax` in actors/sched/fair-dispatcher.ts): that ask
 * reads it at its send, for the turn's start, and again at the turn's end. A bound below that
 * cadence added readings of its own (15 read the clock 0.098 times an ask, against 0.041); above it,
 * this bound only holds asks whose drains run no turn (an actor on another CPU). The price: the
 * caller's code between asks, which no estimate sees, may run that many times before a reading finds
 * the window over, so a loop of asks with T of its own code between them holds the event loop up to
 * about `DrainLimit.msMax` + 50·T (it was 15·T).
 */
export const outsideAsksEstimatedMax = 64;

assert(Number.isInteger(batchMessagesMax) && batchMessagesMax > 0, 'batchMessagesMax must be a positive integer');
assert(mailboxInitialSlots > 0 && (mailboxInitialSlots & (mailboxInitialSlots - 1)) === 0, 'mailboxInitialSlots must be a power of two');
assert(mailboxCapacityDefault <= mailboxCapacityMax, 'mailboxCapacityDefault must not exceed mailboxCapacityMax');
assert(mailboxReclaimSleeps > 0 && (mailboxReclaimSleeps & (mailboxReclaimSleeps - 1)) === 0, 'mailboxReclaimSleeps must be a power of two');
assert(
  mailboxPooledSlotsMax >= mailboxInitialSlots && Number.isInteger(mailboxPoolCountMax) && mailboxPoolCountMax >= 0,
  'the mailbox pool keeps at least fresh mailboxes',
);
assert(askDeadlineMsDefault > 0 && shutdownTimeoutMsDefault > 0, 'default deadlines must be positive');
assert(DrainLimit.turnsMax >= 1, 'DrainLimit.turnsMax must be at least one turn');
assert(DrainLimit.msMax > 0, 'DrainLimit.msMax must be positive');
assert(Number.isInteger(drainsSoonInRowMax) && drainsSoonInRowMax >= 0, 'drainsSoonInRowMax must be a whole number');
assert(Number.isInteger(outsideAsksEstimatedMax) && outsideAsksEstimatedMax >= 0, 'outsideAsksEstimatedMax must be a whole number');
