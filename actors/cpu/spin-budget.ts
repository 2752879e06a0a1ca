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
 * @example
 * ```ts
 * const budget = new SpinBudget(0.04, spinGrowthFor(2, 2));  // 40 µs, in ms, growing up to 8×
 * budget.afterPark(0.05);               // work came 50 µs into the park: spin longer
 * budget.ms;                            // 0.08
 * ```
 */
import { assert } from '../../ground/assert.js';
import { idleSpinGrowthMax } from './limits.js';

export class SpinBudget {
  private current: number;
  private readonly maxMs: number;

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

  /** Learns from a park that lasted `parkedMs` before work (or its timeout) ended it. */
  afterPark(parkedMs: number): void {
    if (parkedMs < this.current * 2) this.current = Math.min(this.current * 2, this.maxMs);
    else if (parkedMs >= this.current * 4) this.current = Math.max(this.current / 2, this.baseMs);
  }
}

/**
 * How far a CPU's spin may grow on a machine of `cpus` CPUs and `cores` cores: `idleSpinGrowthMax`
 * when every CPU has a core of its own, else 1 (it never grows).
 */
export function spinGrowthFor(cpus: number, cores: number): number {
  return cpus <= cores ? idleSpinGrowthMax : 1;
}
