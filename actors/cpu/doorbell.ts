/**
 * A CPU's doorbell: the pending mask of OSv's incoming-wakeups design, plus the parking line the
 * CPU sleeps on. One doorbell per target CPU, in shared memory:
 *
 * ```
 * line 1  pending   bit s set: source CPU s published frames in its ring to this CPU
 * line 3  parking   sleep flag + counters, the same words as a ring header (see ring/wake.ts)
 * ```
 *
 * Producer (`ring`), after publishing a frame in ring (s → t): set bit s, then wake t if it is
 * parked. Consumer (`take`): swap the mask for 0, then drain the rings whose bits were set.
 *
 * Why no frame is stranded. The producer publishes (stores the ring's tail) and then touches the
 * mask; the consumer swaps the mask and then reads tails. If the producer finds its bit already set,
 * the consumer has not swapped yet (all Atomics are sequentially consistent), so that later swap sees
 * the bit and the consumer's tail read sees the frame: setting it again would be a wasted write on a
 * contended line. Parking is the Dekker pair of wake.ts with "the mask is non-zero" as the data test.
 */
import { invariantBroken } from '../../ground/assert.js';
import {
  type AsyncWaiter,
  isParked,
  parkAsync,
  park,
  readParkingCounters,
  wakeIfParked,
  type ParkableRing,
  type ParkOutcome,
  type ParkingCounters,
  type Waiter,
} from '../ring/wake.js';
import { cacheLineWords, ringHeaderBytes } from '../ring/layout.js';
import { cpusMax } from '../../ground/pid.js';

/** Bytes of one doorbell (the size of a ring header, whose parking line it shares). */
export const doorbellBytes = ringHeaderBytes;
/** Int32 index of the pending mask: its own cache line, apart from the parking line. */
const pendingWord = cacheLineWords;

/**
 * The pending mask and parking line of one CPU. Each thread makes its own instance over the shared
 * buffer; producers call `ring`, the owning CPU calls `take`, `hasData`, `park` and `parkAsync`.
 *
 * @example
 * ```ts
 * const bell = new Doorbell(new SharedArrayBuffer(doorbellBytes));
 * ring.offer(frame); bell.ring(sourceCpu);        // producer
 * for (let mask = bell.take(); mask !== 0; mask &= mask - 1) drain(31 - Math.clz32(mask & -mask));
 * ```
 */
export class Doorbell implements ParkableRing {
  /** The words; wake.ts parks on the sleep flag among them. */
  readonly header: Int32Array;

  constructor(readonly buffer: ArrayBufferLike) {
    if (!(buffer.byteLength === doorbellBytes)) invariantBroken(`a doorbell is ${doorbellBytes} bytes, got ${buffer.byteLength}`);
    this.header = new Int32Array(buffer);
  }

  static allocate(shared: boolean): Doorbell {
    return new Doorbell(shared ? new SharedArrayBuffer(doorbellBytes) : new ArrayBuffer(doorbellBytes));
  }

  /** producer: records that `sourceCpu` published frames, and wakes the owner if it is parked. */
  ring(sourceCpu: number): boolean {
    if (!(sourceCpu >= 0 && sourceCpu < cpusMax)) invariantBroken(`source cpu ${sourceCpu} out of range`);
    const bit = 1 << sourceCpu;
    // Sequentially consistent RMW after the ring's publishing store (see the module doc).
    if ((Atomics.load(this.header, pendingWord) & bit) === 0) Atomics.or(this.header, pendingWord, bit);
    return wakeIfParked(this.header);
  }

  /** producer: whether the owner is parked, or about to (a ring now would wake it). */
  ownerParked(): boolean {
    return isParked(this.header);
  }

  /** consumer: the sources that rang since the last take, as a bit mask, and clears it. */
  take(): number {
    // A load first: an idle poll then reads a shared line instead of writing it.
    if (Atomics.load(this.header, pendingWord) === 0) return 0;
    return Atomics.exchange(this.header, pendingWord, 0);
  }

  /** consumer: whether any source rang (the data test of parking). */
  hasData(): boolean {
    return Atomics.load(this.header, pendingWord) !== 0;
  }

  /** consumer (worker thread, blocking): parks until rung or `timeoutMs` passes, sleeping with `waiter` (the clock). */
  park(timeoutMs: number, waiter: Waiter): ParkOutcome {
    return park(this, timeoutMs, waiter);
  }

  /** consumer (any thread, event loop keeps running): parks until rung or `timeoutMs` passes. */
  parkAsync(timeoutMs: number, waiter: AsyncWaiter): Promise<ParkOutcome> {
    return parkAsync(this, timeoutMs, waiter);
  }

  /** Notifies, parks, timed-out parks and lost wakes so far. */
  counters(): ParkingCounters {
    return readParkingCounters(this.header);
  }
}
