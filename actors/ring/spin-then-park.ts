/**
 * The consumer's idle policy: poll the ring a bounded number of times, then park.
 *
 * Why spin first: on this VM a parked thread takes about 30 µs to wake and costs its waker about
 * 10 µs (docs/measured-limits.md §2, area 6). Under dense traffic the next frame usually lands
 * within a few microseconds, so a short spin (1000 polls is about 8-15 µs at one atomic load per
 * poll) keeps the 0.17 µs ring latency and makes parks rare: about one notify per park in steady
 * streaming, against 13 when parking at once. Keep the spin short: this box has 2 cores, and a
 * spinning consumer takes a core from everyone else.
 */
import { invariantBroken } from '../../ground/assert.js';
import { type AsyncWaiter, park, parkAsync, type ParkableRing, type ParkOutcome, type Waiter } from './wake.js';

/** Default polls before parking (the figure measured in docs/measured-limits.md §3c). */
export const spinPollsMaxDefault = 1_000;

export interface SpinThenParkOptions {
  /** Polls of `hasData()` before parking; 0 parks at once. */
  readonly spinPollsMax?: number;
  /** Longest single park; a safety net, not a timer (waits under ~100 µs are meaningless here). */
  readonly parkTimeoutMs?: number;
  /** What the consumer sleeps with: the clock driver (a real clock on a thread that parks). */
  readonly waiter: Waiter & AsyncWaiter;
}

/**
 * consumer: waits for data by spinning, then parking. Each call returns after at most one park;
 * the caller drains and calls again.
 *
 * @example
 * ```ts
 * const idle = new SpinThenPark({ spinPollsMax: 1_000, parkTimeoutMs: 1_000, waiter: createRealClock() });
 * for (;;) {
 *   if (ring.drain(handle, 64) === 0) idle.awaitData(ring);
 * }
 * ```
 */
export class SpinThenPark {
  readonly spinPollsMax: number;
  readonly parkTimeoutMs: number;
  private readonly waiter: Waiter & AsyncWaiter;

  constructor(options: SpinThenParkOptions) {
    this.waiter = options.waiter;
    this.spinPollsMax = options.spinPollsMax ?? spinPollsMaxDefault;
    this.parkTimeoutMs = options.parkTimeoutMs ?? Infinity;
    if (!(Number.isInteger(this.spinPollsMax) && this.spinPollsMax >= 0)) invariantBroken(`spinPollsMax must be a whole number, got ${this.spinPollsMax}`);
    if (!(this.parkTimeoutMs >= 0)) invariantBroken(`parkTimeoutMs must not be negative, got ${this.parkTimeoutMs}`);
  }

  /** consumer (worker thread): spins, then parks, blocking the thread. */
  awaitData(ring: ParkableRing): ParkOutcome {
    if (this.spin(ring)) return 'data';
    return park(ring, this.parkTimeoutMs, this.waiter);
  }

  /** consumer (main thread): spins, then parks on the event loop. */
  awaitDataAsync(ring: ParkableRing): Promise<ParkOutcome> {
    if (this.spin(ring)) return Promise.resolve('data');
    return parkAsync(ring, this.parkTimeoutMs, this.waiter);
  }

  private spin(ring: ParkableRing): boolean {
    for (let polls = 0; polls < this.spinPollsMax; polls++) {
      if (ring.hasData()) return true;
    }
    return false;
  }
}
