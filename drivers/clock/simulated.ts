/**
 * The simulated clock: virtual time that only moves when a test or the simulator says so.
 *
 * Ready work (`schedule`) runs FIFO; timers wait in a min-heap ordered by (dueMs, creation
 * sequence), so two runs that arm the same timers in the same order fire them in the same order.
 * Together with the seeded random driver this makes a whole kernel run replayable from its seed.
 */
import { assert } from '../../ground/assert.js';
import type { Clock, TimerHandle, WaitOutcome } from './clock.js';
import { BoundExceededError, UsageError } from '../../ground/errors.js';
// The real clock's checks, so a simulation never accepts a delay or callback a real run would refuse.
import { assertCallback, assertDelayMs } from './timer-arguments.js';
import { type Due, dueBefore, indexedHeapOf } from '../../ground/indexed-heap.js';

/** Options of {@link createSimulatedClock}. */
export interface SimulatedClockOptions {
  /** Virtual time at creation, in milliseconds. Default 0. */
  readonly startMs?: number;
  /** Most callbacks one drain of ready work may run before it is declared endless. */
  readonly readyStepsMax?: number;
  /** Most callbacks (ready work plus timers) one `advance` call may run; also the `runUntilIdle` default. */
  readonly stepsMax?: number;
}

/** Bounds of {@link SimulatedClock.runUntilIdle}; periodic timers would otherwise run forever. */
export interface RunUntilIdleOptions {
  /** How far virtual time may move in this call. Default 3_600_000 (one virtual hour). */
  readonly timeMsMax?: number;
  /** Most callbacks this call may run. Default: the clock's `stepsMax` (10_000_000). */
  readonly stepsMax?: number;
  /**
   * Ends the run early, once this returns true. It is asked only where promise continuations have
   * just run (a promise settled by the work is seen settled there): after the work ready at the
   * current instant is done, and after each callback that consumed CPU time (see `consume`), since
   * a busy simulation may never run out of ready work. `kernel.runUntil(promise)` stops on its promise.
   */
  readonly stopWhen?: () => boolean;
}

/** A {@link Clock} on virtual time, driven explicitly by its owner. */
export interface SimulatedClock extends Clock {
  readonly kind: 'simulated';
  /** Runs all ready work, including work it schedules, without moving time; returns how many callbacks ran. */
  runReady(): number;
  /**
   * Moves time forward by `ms`, running ready work, settled promise continuations and every timer
   * due on the way (at its due time). Ends with `now()` exactly `ms` later than at the call, or
   * later when ready work consumed CPU time past that (see `consume`); ready work left then waits
   * for the next call.
   */
  advance(ms: number): Promise<void>;
  /**
   * Moves time forward by `ms` at once, running nothing: the code running now took that much
   * virtual CPU time (see `BootOptions.simulatedCostMs`). Timers that fall due meanwhile fire late,
   * at the next `advance` or `runUntilIdle` step, as real timers do behind a busy thread. Callable
   * from inside a clock callback.
   */
  consume(ms: number): void;
  /**
   * Like `advance`, but jumps from timer to timer until nothing is ready and no timer keeps it
   * going (see `keepAlive`), or `options.stopWhen` holds; returns the callbacks run. A timer due past `now + timeMsMax` throws `BoundExceededError`
   * without firing, as does running more than `stepsMax` callbacks.
   */
  runUntilIdle(options?: RunUntilIdleOptions): Promise<number>;
  /** Armed timers that have neither fired nor been cancelled. */
  pendingTimers(): number;
  /** Scheduled callbacks that have not run yet. */
  pendingWork(): number;
}

/** How a drive ended: the callbacks it ran, and whether its stop condition ended it early. */
interface DriveEnd {
  readonly steps: number;
  readonly stopped: boolean;
}

const readyStepsMaxDefault = 10_000_000;
const stepsMaxDefault = 10_000_000;
const timeMsMaxDefault = 3_600_000;

/**
 * Creates a clock whose time starts at `startMs` and moves only in `advance` and `runUntilIdle`.
 *
 * @example
 * ```ts
 * const clock = createSimulatedClock();
 * clock.setTimer(50, () => console.log('timer at', clock.now())); // timer at 50
 * clock.schedule(() => console.log('ready work at', clock.now())); // ready work at 0, runs first
 * await clock.advance(100);
 * clock.now(); // 100
 * ```
 */
export function createSimulatedClock(options: SimulatedClockOptions = {}): SimulatedClock {
  return new VirtualClock(options);
}

/** An armed timer; it is its own handle. `heapIndex` is -1 once fired or cancelled. */
class SimulatedTimer implements TimerHandle, Due {
  heapIndex = -1;
  /** It keeps `runUntilIdle` going (see `Clock.keepAlive`). */
  keepsAlive = true;
  constructor(
    /** The clock that armed it, so a handle from another clock is refused. */
    readonly owner: object,
    readonly dueMs: number,
    readonly sequence: number,
    readonly callback: () => void,
  ) {}
}

/** The heap class of the simulated clock's timers (a class of its own: see `indexedHeapOf`). */
const TimerHeap = indexedHeapOf<Due>(dueBefore);

class VirtualClock implements SimulatedClock {
  readonly kind = 'simulated' as const;
  private nowMs: number;
  private sequenceNext = 0;
  private readonly ready = new ReadyQueue();
  private readonly timers = new TimerHeap<SimulatedTimer>();
  /** Armed timers that keep `runUntilIdle` going: all but those `keepAlive` let go. */
  private timersKeepingAlive = 0;
  private readonly readyStepsMax: number;
  private readonly stepsMax: number;
  // True while a callback runs: driving the clock from inside itself would reorder work.
  private callbackRunning = false;
  // True while advance/runUntilIdle is in progress, across its awaits: one driver at a time.
  private driving = false;

  constructor(options: SimulatedClockOptions) {
    this.nowMs = options.startMs ?? 0;
    this.readyStepsMax = options.readyStepsMax ?? readyStepsMaxDefault;
    this.stepsMax = options.stepsMax ?? stepsMaxDefault;
    assert(Number.isFinite(this.nowMs), 'createSimulatedClock: startMs must be finite');
    assert(Number.isSafeInteger(this.readyStepsMax) && this.readyStepsMax > 0, 'readyStepsMax must be a positive integer');
    assert(Number.isSafeInteger(this.stepsMax) && this.stepsMax > 0, 'stepsMax must be a positive integer');
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    assertDelayMs(delayMs);
    assertCallback(callback, 'setTimer');
    const timer = new SimulatedTimer(this, this.nowMs + Math.max(0, delayMs), this.sequenceNext++, callback);
    this.timers.push(timer);
    this.timersKeepingAlive++;
    assert(timer.heapIndex >= 0, 'a timer set is in the heap');
    return timer;
  }

  cancelTimer(handle: TimerHandle): void {
    if (!(handle instanceof SimulatedTimer) || handle.owner !== this) {
      throw new TypeError('cancelTimer: the handle was not created by this simulated clock');
    }
    if (handle.heapIndex >= 0) {
      this.timers.remove(handle);
      if (handle.keepsAlive) this.timersKeepingAlive--;
    }
    assert(handle.heapIndex === -1, 'a cancelled timer is out of the heap');
  }

  keepAlive(handle: TimerHandle, keep: boolean): void {
    if (!(handle instanceof SimulatedTimer) || handle.owner !== this) {
      throw new TypeError('keepAlive: the handle was not created by this simulated clock');
    }
    if (handle.heapIndex < 0 || handle.keepsAlive === keep) return;
    handle.keepsAlive = keep;
    this.timersKeepingAlive += keep ? 1 : -1;
  }

  schedule(callback: () => void): void {
    assertCallback(callback, 'schedule');
    this.ready.push(callback);
  }

  /** The same as `schedule`: virtual time has no event loop to starve, and runs stay replayable. */
  soon(callback: () => void): void {
    this.schedule(callback);
  }

  waitWhile(words: Int32Array, index: number, expected: number): WaitOutcome {
    return simulatedWait(words, index, expected);
  }

  waitWhileAsync(words: Int32Array, index: number, expected: number): Promise<WaitOutcome> {
    return Promise.resolve(simulatedWait(words, index, expected));
  }

  runReady(): number {
    this.assertIdleDriver('runReady');
    return this.drainReady(this.readyStepsMax, 'readyStepsMax');
  }

  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`advance: ms must be a finite number ≥ 0, got ${String(ms)}`);
    }
    const targetMs = this.nowMs + ms;
    await this.drive('advance', targetMs, Infinity, this.stepsMax);
    // Consumed CPU time may have carried the clock past the target; time never goes back.
    if (this.nowMs < targetMs) this.nowMs = targetMs;
  }

  consume(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`consume: ms must be a finite number ≥ 0, got ${String(ms)}`);
    }
    this.nowMs += ms;
  }

  async runUntilIdle(options: RunUntilIdleOptions = {}): Promise<number> {
    const timeMsMax = options.timeMsMax ?? timeMsMaxDefault;
    const stepsMax = options.stepsMax ?? this.stepsMax;
    if (!Number.isFinite(timeMsMax) || timeMsMax < 0) {
      throw new RangeError(`runUntilIdle: timeMsMax must be a finite number ≥ 0, got ${String(timeMsMax)}`);
    }
    if (!Number.isSafeInteger(stepsMax) || stepsMax <= 0) {
      throw new RangeError(`runUntilIdle: stepsMax must be a positive integer, got ${String(stepsMax)}`);
    }
    const stopWhen = options.stopWhen;
    if (stopWhen !== undefined && typeof stopWhen !== 'function') {
      throw new TypeError(`runUntilIdle: stopWhen must be a function, got ${typeof stopWhen}`);
    }
    const run = await this.drive('runUntilIdle', Infinity, this.nowMs + timeMsMax, stepsMax, stopWhen);
    assert(run.stopped || this.ready.size + this.timersKeepingAlive === 0, 'runUntilIdle: ended with work left');
    return run.steps;
  }

  pendingTimers(): number {
    return this.timers.size;
  }

  pendingWork(): number {
    return this.ready.size;
  }

  /**
   * The loop behind advance and runUntilIdle. Timers due ≤ targetMs fire; a timer due past
   * limitMs is an error (runUntilIdle's time bound). It ends early when `stopWhen` holds, asked
   * only after a macrotask turn (see RunUntilIdleOptions.stopWhen). Returns the number of
   * callbacks run, and whether `stopWhen` ended it.
   */
  private async drive(caller: string, targetMs: number, limitMs: number, stepsMax: number, stopWhen?: () => boolean): Promise<DriveEnd> {
    this.assertIdleDriver(caller);
    this.driving = true;
    try {
      let steps = 0;
      // Whether a macrotask turn has passed since the last callback ran. Callbacks may start
      // promise chains (async handlers, awaited replies) whose continuations schedule more work;
      // a setImmediate turn lets every pending microtask run first. We yield only when nothing is
      // ready, and only once per quiet spell, so a busy simulation does not pay a turn per step.
      let settled = false;
      for (;;) {
        // A timer overdue behind consumed CPU time fires before more ready work, as a real timer
        // fires once the busy callback returns; with no time consumed, ready work always goes first.
        if (this.ready.size > 0 && !this.timerOverdue()) {
          // Consumed CPU time may carry the clock past the target: the work left waits for the next call.
          if (this.nowMs > targetMs) break;
          if (this.nowMs > limitMs) throw busyError(caller, limitMs);
          const stepsLeft = stepsMax - steps;
          const beforeMs = this.nowMs;
          steps +=
            stepsLeft < this.readyStepsMax ? this.drainReady(stepsLeft, 'stepsMax', caller) : this.drainReady(this.readyStepsMax, 'readyStepsMax', caller);
          // A callback that consumed CPU time ends the drain (see drainReady): let the promise
          // continuations it started run now, as a real event loop runs them after each callback.
          // Busy work may never leave the queue empty, so a stop condition is asked here too.
          if (this.nowMs !== beforeMs) {
            await macrotaskTurn();
            if (stopWhen?.()) return { steps, stopped: true };
          }
          settled = false;
          continue;
        }
        if (!settled) {
          await macrotaskTurn();
          settled = true;
          // Continuations may have scheduled work at this same instant: it runs before we stop.
          if (this.ready.size === 0 && stopWhen?.()) return { steps, stopped: true };
          continue;
        }
        const next = this.timers.peek();
        if (next === undefined || next.dueMs > targetMs) break;
        // Run until idle (no target): timers nothing waits on do not keep it going, as in Node; ready
        // work does (a let-go timer overdue behind consumed CPU time fires before it, as above).
        if (targetMs === Number.POSITIVE_INFINITY && this.timersKeepingAlive === 0 && this.ready.size === 0) break;
        if (next.dueMs > limitMs) {
          throw new BoundExceededError(
            `SimulatedClock.${caller}: the next timer is due at ${next.dueMs} ms, past the bound ` +
              `now + timeMsMax = ${limitMs} ms (timeMsMax); a periodic timer never lets the clock go idle`,
          );
        }
        if (steps >= stepsMax) throw stepsError(caller, stepsMax, 'stepsMax');
        this.timers.pop();
        if (next.keepsAlive) this.timersKeepingAlive--;
        // A timer due in the past fell due while CPU time was consumed: it fires late, now.
        if (next.dueMs > this.nowMs) this.nowMs = next.dueMs;
        steps += 1;
        settled = false;
        this.invoke(next.callback);
      }
      return { steps, stopped: false };
    } finally {
      this.driving = false;
    }
  }

  /**
   * Runs ready work until the queue is empty or a callback consumed CPU time (only that moves time
   * here, so only that can make a timer due); more than `stepsMax` callbacks is an error.
   */
  private drainReady(stepsMax: number, boundName: string, caller = 'runReady'): number {
    let steps = 0;
    while (this.ready.size > 0) {
      if (steps >= stepsMax) throw stepsError(caller, stepsMax, boundName);
      // Dequeue before invoking: a callback that throws is consumed, the rest stays queued.
      const callback = this.ready.shift();
      steps += 1;
      const beforeMs = this.nowMs;
      this.invoke(callback);
      // Busy work (it consumed CPU time) yields to the driver after each callback, so timers and
      // promise continuations interleave with it; instant work keeps running back to back.
      if (this.nowMs !== beforeMs) break;
    }
    return steps;
  }

  /** Whether a timer fell due before now (only consumed CPU time makes one late). */
  private timerOverdue(): boolean {
    const next = this.timers.peek();
    return next !== undefined && next.dueMs < this.nowMs;
  }

  private invoke(callback: () => void): void {
    this.callbackRunning = true;
    try {
      callback();
    } finally {
      this.callbackRunning = false;
    }
  }

  private assertIdleDriver(caller: string): void {
    if (this.callbackRunning) {
      throw new UsageError(`SimulatedClock.${caller}: called from inside a clock callback; drive the clock from outside`);
    }
    if (this.driving) {
      throw new UsageError(`SimulatedClock.${caller}: the clock is already being driven by advance/runUntilIdle`);
    }
  }
}

function stepsError(caller: string, stepsMax: number, boundName: string): Error {
  return new BoundExceededError(
    `SimulatedClock.${caller}: more than ${stepsMax} callbacks in one call (${boundName}); ` +
      'the work never settles (a self-rescheduling callback or a zero-delay timer loop?)',
  );
}

function busyError(caller: string, limitMs: number): Error {
  return new BoundExceededError(
    `SimulatedClock.${caller}: ready work kept consuming CPU time past the bound now + timeMsMax = ${limitMs} ms; ` +
      'busy actors never let the clock go idle (use advance(ms) to run them for a while)',
  );
}

function macrotaskTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * @internal FIFO of ready callbacks: an array read from a moving head, compacted once the dead
 * prefix is at least half the array, so push and shift stay amortised O(1) and nothing is lost.
 */
class ReadyQueue {
  private items: Array<(() => void) | undefined> = [];
  private head = 0;

  get size(): number {
    return this.items.length - this.head;
  }

  push(callback: () => void): void {
    this.items.push(callback);
  }

  shift(): () => void {
    assert(this.size > 0, 'ReadyQueue.shift on an empty queue');
    const callback = this.items[this.head];
    this.items[this.head] = undefined; // let the closure be collected before compaction
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    assert(callback !== undefined, 'a queued callback is there');
    return callback;
  }
}

/**
 * A simulated clock's thread is shared by every simulated CPU, so nothing could wake it: a wait
 * whose word still holds the value is a bug of the caller.
 */
function simulatedWait(words: Int32Array, index: number, expected: number): WaitOutcome {
  if (Atomics.load(words, index) !== expected) return 'not-equal';
  throw new UsageError('a simulated clock never sleeps its thread: nothing else could wake it (simulated CPUs poll, they do not park)');
}
