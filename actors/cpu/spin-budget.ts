/**
 * How long an idle CPU polls for work before it parks: ski rental with a price the CPU learns.
 * Spinning costs the CPU's time; parking costs a wake-up when work comes, which on this VM takes
 * 30 µs on a fast day and over 100 on a slow one (docs/measured-limits.md §3c). A fixed spin was a
 * cliff: on a day when each round trip of a two-CPU hand-off outlasted it, both CPUs parked every
 * time, and the hand-off took four times as long.
 *
 * So the budget follows what the parks show. A park that ended within two budgets of its start was a
 * wake-up paid for a wait a spin not much longer would have covered: the budget doubles, up to
 * `idleSpinGrowthMax` times the base. A park that lasted four budgets or more means the spin before
 * it was paid for nothing: the budget halves, down to the base. Between the two, it stays.
 *
 * Only a machine with a core for every CPU lets the budget grow: where CPUs outnumber cores, a CPU
 * that spins takes a core from one with work (`osprey memcached -t 2`, three CPUs on two cores, served
 * 6–10 % fewer requests with growing spins).
 *
 * A CPU that has just woken a parked one does not spin at all (`wokeParkedCpu`, `yieldNow`): Linux
 * tends to run a woken thread on its waker's core, where a spin keeps it waiting. On this VM a round
 * trip to a parked CPU, 2 ms after the last, took 85–97 µs with this rule against 121–124 without
 * (medians of four interleaved pairs of runs). The park that follows teaches the budget nothing: no
 * spin was weighed against it. But two CPUs that talk would then park for good, each waking the
 * other, and every message would pay a wake-up (47 µs instead of 4 for a round trip): a park after a
 * yield that ends within four budgets shows a CPU that answers, and the CPU spins again, until a park
 * of four budgets or more shows its peers quiet. A wake four budgets old no longer counts: the CPU
 * it woke is running by then.
 *
 * @example
 * ```ts
 * const budget = new SpinBudget(0.04, spinGrowthFor(2, 2));  // 40 µs, in ms, growing up to 8×
 * budget.afterPark(0.05);               // work came 50 µs into the park: spin longer
 * budget.ms;                            // 0.08
 * budget.wokeParkedCpu(now);            // this CPU's frames woke a parked CPU
 * budget.yieldNow(now);                 // true: park now, without spinning
 * budget.afterPark(0.2, true);          // the park after that yield: not learnt from
 * ```
 */
import { assert } from '../../ground/assert.js';
import { idleSpinGrowthMax } from './limits.js';

export class SpinBudget {
  private current: number;
  private readonly maxMs: number;
  /** When this CPU last woke a parked one, in ms; −∞ once a spin or a park has dealt with it. */
  private wokeAtMs = Number.NEGATIVE_INFINITY;
  /** A wake of a parked CPU makes this one yield: off while it talks with a CPU that answers soon. */
  private yieldsToWoken = true;

  constructor(
    /** The shortest budget, in ms: the CPU's configured spin. */
    private readonly baseMs: number,
    /** How many times the base the budget may grow to (1: it never grows; see `spinGrowthFor`). */
    growthMax: number,
  ) {
    assert(Number.isFinite(baseMs) && baseMs >= 0, 'a spin budget is a finite, non-negative number of ms');
    assert(Number.isFinite(growthMax) && growthMax >= 1, 'a spin budget grows by a finite factor of at least 1');
    this.current = baseMs;
    this.maxMs = baseMs * growthMax;
  }

  /** The budget now, in ms. */
  get ms(): number {
    return this.current;
  }

  /** This CPU's frames woke a parked CPU at `atMs`: the spin under way, or the next, ends (see `yieldNow`). */
  wokeParkedCpu(atMs: number): void {
    if (this.yieldsToWoken) this.wokeAtMs = atMs;
  }

  /**
   * Whether the spin under way, with nothing to do at `nowMs`, should end and the CPU park, leaving
   * its core to a CPU it woke; true once for each run of wakes, and only within four budgets of
   * the last (by then the CPU it woke is up and running).
   */
  yieldNow(nowMs: number): boolean {
    const recent = nowMs - this.wokeAtMs < this.current * 4;
    this.wokeAtMs = Number.NEGATIVE_INFINITY;
    return recent;
  }

  /**
   * Learns from a park that lasted `parkedMs` before work (or its timeout) ended it; after a spin
   * that yielded (`afterYield`), only whether the CPU it woke answers soon. Wakes this CPU made
   * before or during the park are then past: the next spin is a whole one.
   */
  afterPark(parkedMs: number, afterYield = false): void {
    this.wokeAtMs = Number.NEGATIVE_INFINITY;
    const long = parkedMs >= this.current * 4;
    if (afterYield) {
      if (!long) this.yieldsToWoken = false;
      return;
    }
    if (long) {
      this.yieldsToWoken = true;
      this.current = Math.max(this.current / 2, this.baseMs);
    } else if (parkedMs < this.current * 2) {
      this.current = Math.min(this.current * 2, this.maxMs);
    }
  }
}

/**
 * How far a CPU's spin may grow on a machine of `cpus` CPUs and `cores` cores: `idleSpinGrowthMax`
 * when every CPU has a core of its own, else 1 (it never grows).
 */
export function spinGrowthFor(cpus: number, cores: number): number {
  return cpus <= cores ? idleSpinGrowthMax : 1;
}
