/**
 * Bounds of the interrupt subsystem, units last (TigerBeetle style), checked against each other
 * when the module loads so a bad edit fails at boot rather than under an interrupt storm.
 */
import { assert } from '../../ground/assert.js';
import { systemLaneCapacity } from '../runtime/limits.js';

/**
 * Vectors one controller (one CPU) can have allocated at once. Why 256: the x86 IDT has 256
 * entries, and a handler actor holds at most one queued wake per vector, so this also bounds the
 * wakes one handler's system lane can hold.
 */
export const vectorCountMax = 256;
/** Ring capacity of a vector that does not ask for one, in events. */
export const ringCapacityEventsDefault = 1_024;
/** Largest ring a vector may ask for, in events (a power of two: rings index with a mask). */
export const ringCapacityEventsMax = 1 << 20;
/** Smallest ring, in events. */
export const ringCapacityEventsMin = 1;
/**
 * Events one wake hands to the handler before it unmasks and re-checks (NAPI's budget). Why 256:
 * large enough that a storm costs one wake per 256 events (the goal is at least 100 per wake),
 * small enough that one handler's turn stays short next to the dispatcher's 100-message batches.
 */
export const drainBatchEventsDefault = 256;
/** Largest batch a vector may ask for, in events. */
export const drainBatchEventsMax = 65_536;
/** Longest vector name, in characters (names show up in stats, traces and child spec ids). */
export const vectorNameLengthMax = 64;
/** Timers one timer source may have armed at once. */
export const timersArmedCountMax = 65_536;
/** Shutdown time a handler actor spawned by the controller gets, in milliseconds. */
export const handlerShutdownMsDefault = 5_000;
/** Shutdown time of the controller's own actor (it only frees vectors), in milliseconds. */
export const controllerShutdownMs = 1_000;

const isPowerOfTwo = (n: number): boolean => Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;

assert(Number.isInteger(vectorCountMax) && vectorCountMax >= 1, 'vectorCountMax must be a positive integer');
// Each vector queues at most one wake into its handler's system lane; a handler serving every vector
// must never overflow its lane (overflow there is a crash by policy).
assert(vectorCountMax < systemLaneCapacity, 'vectorCountMax must stay below the system lane capacity');
assert(isPowerOfTwo(ringCapacityEventsDefault), 'ringCapacityEventsDefault must be a power of two');
assert(isPowerOfTwo(ringCapacityEventsMax), 'ringCapacityEventsMax must be a power of two');
assert(ringCapacityEventsMin >= 1 && ringCapacityEventsDefault >= ringCapacityEventsMin, 'the default ring must hold at least the minimum');
assert(ringCapacityEventsDefault <= ringCapacityEventsMax, 'ringCapacityEventsDefault must not exceed ringCapacityEventsMax');
// A default vector must be able to reach the events-per-wake goal (100) in one drain.
assert(drainBatchEventsDefault >= 100, 'drainBatchEventsDefault must reach the goal of 100 events per wake');
assert(drainBatchEventsDefault <= ringCapacityEventsDefault, 'a default drain must not exceed the default ring');
assert(drainBatchEventsDefault <= drainBatchEventsMax, 'drainBatchEventsDefault must not exceed drainBatchEventsMax');
assert(vectorNameLengthMax >= 8 && timersArmedCountMax >= 1, 'names and timer tables must admit something useful');
assert(handlerShutdownMsDefault > 0 && controllerShutdownMs > 0, 'shutdown times must be positive');
