/**
 * One simulated CPU's own view of the machine's virtual clock, which a simulation can make wrong the
 * way real clocks go wrong: running fast or slow (a rate, drift) and jumping forward (a stalled
 * virtual machine, a suspended laptop). Its `now()` is what the CPU reads, and its timers are armed
 * in its own time, so a slow clock's 100 ms take longer than 100 ms of the machine's, and a jump
 * fires at once the timers it overtakes. It never runs backward: the kernel's clock is monotonic.
 *
 * Everything else (ready work, driving time, waits) is the underlying clock's.
 *
 * @example
 * ```ts
 * const machine = createSimulatedClock();
 * const cpu1 = new SkewedClock(machine);
 * cpu1.setRate(0.5);                        // runs at half speed from now on
 * cpu1.setTimer(100, () => machine.now());  // fires at 200 ms of machine time
 * cpu1.jump(30);                            // cpu1.now() is 30 ms ahead; due timers fire now
 * ```
 */
import type { TimerHandle, WaitOutcome } from './clock.js';
import type { RunUntilIdleOptions, SimulatedClock } from './simulated.js';
import { assertCallback, assertDelayMs, timerDelayMsMax } from './timer-arguments.js';

/** The slowest and fastest rate a skewed clock takes: slower would stop time, faster would race it. */
export const skewRateMin = 0.1;
export const skewRateMax = 10;

/** A timer armed in this clock's time: due at `dueMs` of it, armed underneath as `inner`. */
interface SkewedTimer extends TimerHandle {
  readonly dueMs: number;
  readonly callback: () => void;
  inner: TimerHandle;
  /** See `Clock.keepAlive`; carried over to the machine's timer each time it is armed. */
  keepsAlive: boolean;
}

export class SkewedClock implements SimulatedClock {
  readonly kind = 'simulated';
  private rate = 1;
  /** This clock read `originMs` when the machine's read `machineOriginMs`; it has run at `rate` since. */
  private originMs: number;
  private machineOriginMs: number;
  /** Armed and not yet fired, in arming order. */
  private readonly timers = new Set<SkewedTimer>();

  /** `startMs`: what it reads now (default: the machine's time), for a clock that goes on from another's reading. */
  constructor(
    private readonly machine: SimulatedClock,
    startMs = machine.now(),
  ) {
    if (!Number.isFinite(startMs)) throw new RangeError(`a skewed clock starts at a finite time, got ${startMs}`);
    this.originMs = startMs;
    this.machineOriginMs = machine.now();
  }

  now(): number {
    return this.originMs + (this.machine.now() - this.machineOriginMs) * this.rate;
  }

  /** How fast this clock runs against the machine's from now on (1: true time). Armed timers move with it. */
  setRate(rate: number): void {
    if (!(rate >= skewRateMin && rate <= skewRateMax)) throw new RangeError(`a clock's rate is within [${skewRateMin}, ${skewRateMax}], got ${rate}`);
    this.originMs = this.now();
    this.machineOriginMs = this.machine.now();
    this.rate = rate;
    this.rearm();
  }

  /** Moves this clock forward by `ms` at once; the timers it overtakes fire now, in order. */
  jump(ms: number): void {
    if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`a clock jumps forward by a finite number of ms ≥ 0, got ${ms}`);
    this.originMs += ms;
    this.rearm();
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    assertDelayMs(delayMs);
    assertCallback(callback, 'setTimer');
    const timer: SkewedTimer = { dueMs: this.now() + Math.max(0, delayMs), callback, inner: undefined as unknown as TimerHandle, keepsAlive: true };
    timer.inner = this.armUnderneath(timer);
    this.timers.add(timer);
    return timer;
  }

  cancelTimer(handle: TimerHandle): void {
    const timer = handle as SkewedTimer;
    if (!this.timers.delete(timer)) return;
    this.machine.cancelTimer(timer.inner);
  }

  keepAlive(handle: TimerHandle, keep: boolean): void {
    const timer = handle as SkewedTimer;
    if (!this.timers.has(timer)) return;
    timer.keepsAlive = keep;
    this.machine.keepAlive(timer.inner, keep);
  }

  schedule(callback: () => void): void {
    this.machine.schedule(callback);
  }

  soon(callback: () => void): void {
    this.machine.soon(callback);
  }

  runReady(): number {
    return this.machine.runReady();
  }

  advance(ms: number): Promise<void> {
    return this.machine.advance(ms);
  }

  consume(ms: number): void {
    this.machine.consume(ms);
  }

  runUntilIdle(options?: RunUntilIdleOptions): Promise<number> {
    return this.machine.runUntilIdle(options);
  }

  waitWhile(words: Int32Array, index: number, expected: number, timeoutMs: number): WaitOutcome {
    return this.machine.waitWhile(words, index, expected, timeoutMs);
  }

  waitWhileAsync(words: Int32Array, index: number, expected: number, timeoutMs: number): Promise<WaitOutcome> {
    return this.machine.waitWhileAsync(words, index, expected, timeoutMs);
  }

  pendingTimers(): number {
    return this.machine.pendingTimers();
  }

  pendingWork(): number {
    return this.machine.pendingWork();
  }

  /** Arms `timer` on the machine's clock for what is left of it in this clock's time. */
  private armUnderneath(timer: SkewedTimer): TimerHandle {
    const leftMs = Math.max(0, timer.dueMs - this.now());
    const inner = this.machine.setTimer(Math.min(timerDelayMsMax, leftMs / this.rate), () => {
      this.timers.delete(timer);
      timer.callback();
    });
    if (!timer.keepsAlive) this.machine.keepAlive(inner, false);
    return inner;
  }

  /** After a change of rate or a jump: every armed timer again, for what is left of it now, earliest due first. */
  private rearm(): void {
    // Sorted (stably) by due time: timers a jump overtakes all fall due at once, and fire in the order they were due.
    for (const timer of [...this.timers].sort((a, b) => a.dueMs - b.dueMs)) {
      this.machine.cancelTimer(timer.inner);
      timer.inner = this.armUnderneath(timer);
    }
  }
}
