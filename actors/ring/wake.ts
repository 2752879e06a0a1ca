/**
 * Parking the consumer of a ring, and waking it, without lost wake-ups (docs/measured-limits.md §5.1).
 *
 * The protocol uses one word, the sleep flag on the header's parking line:
 * - consumer, `park()`: raise the flag (`Atomics.store` 1); re-check the ring; if still empty,
 *   `Atomics.wait` on the flag word while it is 1; afterwards lower it (`Atomics.store` 0).
 * - producer, `wakeIfParked()` after publishing: if the flag reads 1, clear it with
 *   `Atomics.exchange(flag, 0)` and call `Atomics.notify` only when the exchange returned 1. Only the
 *   consumer raises the flag, so there is at most one notify per raise however many producers race.
 *
 * Why no wake-up is lost. Consumer: store flag=1, then load the ring's publication word (tail or
 * frame word). Producer: store the publication word, then load the flag. Atomics are sequentially
 * consistent, so in this Dekker pair at least one side sees the other's store: either the consumer's
 * re-check sees the data (it does not sleep), or the producer sees the flag and clears it; then the
 * consumer's `Atomics.wait(flag, 1)` either finds 0 and returns at once ("not-equal") or is asleep
 * already and gets the notify. Waiting on the flag word itself matters: with a wait on head or tail,
 * a producer's exchange made for an older publication could clear the flag of a newer sleep, and
 * that sleep would never be notified (reproduced while measuring, docs/measured-limits.md §5.1: hung runs with a full ring).
 *
 * Counters (on the parking line, read with `readParkingCounters`): notifies (producers), parks and
 * timed-out parks (consumer), and lost wakes: a wait that timed out while the flag was still raised
 * and data was there. With a correct protocol it stays 0; a timed wait is the safety net that
 * makes a lost wake visible instead of a hang. CAVEAT: a producer descheduled between its
 * publishing store and its flag check for longer than the whole timeout looks the same, so keep
 * safety-net timeouts far above a time slice (hundreds of ms).
 */
import type { Clock, WaitOutcome } from '../../drivers/clock/clock.js';
import { assert } from '../../ground/assert.js';
import { lostWakeCountWord, notifyCountWord, parkCountWord, parkTimeoutCountWord, sleepFlagWord } from './layout.js';

/** consumer: a ring that can be parked on (SpscRing and MpscRing both are). */
export interface ParkableRing {
  /** The ring's header words; the parking line lives there. */
  readonly header: Int32Array;
  /** Must load the ring's publication word atomically when it has no data cached. */
  hasData(): boolean;
}

/**
 * How a park ended: `'data'` (the re-check found data, no sleep), `'woken'` (a producer cleared
 * the flag, before or during the wait; the data may already be consumed by then, so poll and loop),
 * `'timed-out'` (the timeout passed first).
 */
export type ParkOutcome = 'data' | 'woken' | 'timed-out';

/** The parking line's counters, as read by `readParkingCounters`. */
export interface ParkingCounters {
  readonly notifies: number;
  readonly parks: number;
  readonly parkTimeouts: number;
  readonly lostWakes: number;
}

/**
 * What a consumer sleeps with: the clock driver (drivers/clock), since a timed wait reads time. A
 * real clock sleeps on the word with `Atomics.wait`; a simulated clock never sleeps.
 */
export type Waiter = Pick<Clock, 'waitWhile'>;
/** What a consumer on an event loop sleeps with (`Atomics.waitAsync` on a real clock). */
export type AsyncWaiter = Pick<Clock, 'waitWhileAsync'>;

/**
 * consumer (worker threads): parks until a producer wakes it, the ring has data, or `timeoutMs`
 * passes, sleeping with `waiter` (the clock). Blocks the calling thread: on the main thread use
 * `parkAsync`. Needs a SharedArrayBuffer.
 *
 * @example
 * ```ts
 * const clock = createRealClock();
 * for (;;) {
 *   if (ring.drain(handle, 64) === 0) park(ring, 1_000, clock); // timed wait as a safety net
 * }
 * ```
 */
export function park(ring: ParkableRing, timeoutMs: number, waiter: Waiter): ParkOutcome {
  const header = ring.header;
  assert(header.buffer instanceof SharedArrayBuffer, 'park: only a ring on a SharedArrayBuffer can be waited on');
  // Store half of the consumer's Dekker pair: raised BEFORE the re-check below.
  Atomics.store(header, sleepFlagWord, 1);
  // Load half: a publication that this load misses will see the raised flag (see the module doc).
  if (ring.hasData()) {
    // Lower our own flag: only the consumer raises it, so this cannot erase a newer raise.
    Atomics.store(header, sleepFlagWord, 0);
    return 'data';
  }
  // Sleeps only while the flag is still 1; a producer's exchange to 0 before this call makes it
  // return "not-equal" at once, and its notify after this call wakes it.
  return settle(ring, waiter.waitWhile(header, sleepFlagWord, 1, timeoutMs));
}

/**
 * consumer (main thread): `park` with `waitWhileAsync`, so the event loop keeps running while
 * the consumer sleeps.
 *
 * @example
 * ```ts
 * while (running) {
 *   if (ring.drain(handle, 64) === 0) await parkAsync(ring, 1_000, clock);
 * }
 * ```
 */
export function parkAsync(ring: ParkableRing, timeoutMs: number, waiter: AsyncWaiter): Promise<ParkOutcome> {
  const header = ring.header;
  assert(header.buffer instanceof SharedArrayBuffer, 'parkAsync: only a ring on a SharedArrayBuffer can be waited on');
  Atomics.store(header, sleepFlagWord, 1); // raise, then re-check: as in park()
  if (ring.hasData()) {
    Atomics.store(header, sleepFlagWord, 0); // lower our own flag, as in park()
    return Promise.resolve('data');
  }
  // Same contract as the wait in park(), resolved on the event loop instead of blocking. A `then`,
  // not an async function: one microtask fewer between the wake and the parked loop (see the clock).
  return waiter.waitWhileAsync(header, sleepFlagWord, 1, timeoutMs).then((result) => settle(ring, result));
}

/** Lowers the flag after a wait and counts what happened. */
function settle(ring: ParkableRing, result: WaitOutcome): ParkOutcome {
  const header = ring.header;
  // A producer cleared the flag between our re-check and the wait; it notifies nobody. No sleep.
  if (result === 'not-equal') return 'woken';
  // Counters are statistics with no ordering role; Atomics keeps them race-free for readers in
  // other threads (and for the several producers that count notifies).
  Atomics.add(header, parkCountWord, 1);
  if (result === 'ok') {
    // Usually already 0 (the waking producer cleared it), but a notify meant for an earlier raise
    // can wake this one with the flag still up: lower it so producers stop paying for notifies.
    Atomics.store(header, sleepFlagWord, 0);
    return 'woken';
  }
  Atomics.add(header, parkTimeoutCountWord, 1);
  // Take the flag back with an exchange: 0 means a producer cleared it (and notified) just as the
  // wait timed out, a benign race. Still 1 with data present means a publication missed the flag.
  if (Atomics.exchange(header, sleepFlagWord, 0) !== 0 && ring.hasData()) Atomics.add(header, lostWakeCountWord, 1);
  return 'timed-out';
}

/**
 * producer: call after publishing. Wakes the consumer if it is parked or about to park, with at
 * most one notify per raise of its flag. Returns true when it notified. Costs one atomic load
 * (about 8 ns) when the consumer is awake, about 10 µs when it really wakes a sleeper.
 *
 * @example
 * ```ts
 * if (ring.offer(frame)) wakeIfParked(ring.header);
 * ```
 */
export function wakeIfParked(header: Int32Array): boolean {
  // Load half of the producer's Dekker pair (after the publishing store). A load first, not an
  // exchange: an awake consumer then costs a read of a shared line, not a write that bounces it.
  if (Atomics.load(header, sleepFlagWord) === 0) return false;
  // Whoever swaps the 1 out owns the single notify for this raise; everyone else sees 0.
  if (Atomics.exchange(header, sleepFlagWord, 0) === 0) return false;
  Atomics.add(header, notifyCountWord, 1); // statistics; atomic because producers race here
  // Wakes the one waiter on the flag word, if it is already asleep; if it is not yet, its wait
  // sees the 0 we just stored and does not sleep.
  Atomics.notify(header, sleepFlagWord, 1);
  return true;
}

/**
 * producer: whether the consumer is parked or about to park (its sleep flag is up), so that a frame
 * published now would wake it. One load of the flag's line, which only the consumer writes when it parks.
 */
export function isParked(header: Int32Array): boolean {
  return Atomics.load(header, sleepFlagWord) !== 0;
}

/** Reads the parking counters of a ring's header (for tests, benchmarks and metrics). */
export function readParkingCounters(header: Int32Array): ParkingCounters {
  // Other threads write these; the loads give a snapshot for reporting, not a synchronisation point.
  return {
    notifies: Atomics.load(header, notifyCountWord),
    parks: Atomics.load(header, parkCountWord),
    parkTimeouts: Atomics.load(header, parkTimeoutCountWord),
    lostWakes: Atomics.load(header, lostWakeCountWord),
  };
}
