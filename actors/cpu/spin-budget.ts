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
 * of four budgets or more shows its peers quiet.
 *
 * @example
 * ```ts
 * const budget = new SpinBudget(0.04, spinGrowthFor(2, 2));  // 40 µs, in ms, growing up to 8×
 * budget.afterPark(0.05);               // work came 50 µs into the park: spin longer
 * budget.ms;                            // 0.08
 * budget.wokeParkedCpu();               // this CPU's frames woke a parked CPU
 * budget.yieldNow();                    // true: park now, without spinning
 * ```
 */
import { assert } from '../../ground/assert.js';
import { idleSpinGrowthMax } from './limits.js';

export class SpinBudget {
  private current: number;
  private readonly maxMs: number;
  /** This CPU woke a parked one since its last park: the spin to come yields at once. */
  private yieldPending = false;
  /** The last spin yielded: the park after it is not learnt from. */
  private parkAfterYield = false;
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

  /** This CPU's frames woke a parked CPU: the spin under way, or the next, ends at once (see `yieldNow`). */
  wokeParkedCpu(): void {
    if (this.yieldsToWoken) this.yieldPending = true;
  }

  /**
   * Whether the spin under way should end now and the CPU park, leaving its core to a CPU it woke;
   * true once for each run of wakes (see `wokeParkedCpu`).
   */
  yieldNow(): boolean {
    if (!this.yieldPending) return false;
    this.yieldPending = false;
    this.parkAfterYield = true;
    return true;
  }

  /**
   * Learns from a park that lasted `parkedMs` before work (or its timeout) ended it; after a spin
   * that yielded, only whether the CPU it woke answers soon. Wakes this CPU made before or during
   * the park are then past: the next spin is a whole one.
   */
  afterPark(parkedMs: number): void {
    this.yieldPending = false;
    const long = parkedMs >= this.current * 4;
    if (this.parkAfterYield) {
      this.parkAfterYield = false;
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
