/**
 * An idle CPU's spin budget follows its parks: it grows while parks end soon after they begin (a
 * spin a little longer would have caught the work without a wake-up), shrinks back while they last,
 * and never leaves its bounds; it grows only where every CPU has a core of its own. Right after the
 * CPU woke a parked one, it does not spin at all.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { idleSpinGrowthMax } from '../../../actors/cpu/limits.js';
import { SpinBudget, spinGrowthFor } from '../../../actors/cpu/spin-budget.js';

const baseMs = 0.04;

describe('the spin budget of an idle CPU', () => {
  it('doubles after a park that ended within two budgets, up to its growth bound', () => {
    const budget = new SpinBudget(baseMs, 8);
    budget.afterPark(0.05);
    expect(budget.ms).to.equal(0.08);
    for (let park = 0; park < 10; park++) budget.afterPark(0);
    expect(budget.ms).to.equal(baseMs * 8);
  });

  it('halves after a park of four budgets or more, down to its base', () => {
    const budget = new SpinBudget(baseMs, 8);
    for (let park = 0; park < 3; park++) budget.afterPark(0);
    expect(budget.ms).to.equal(0.32);
    budget.afterPark(4 * 0.32);
    expect(budget.ms).to.equal(0.16);
    for (let park = 0; park < 10; park++) budget.afterPark(1_000);
    expect(budget.ms).to.equal(baseMs);
  });

  it('stays as it is after a park between two and four budgets', () => {
    const budget = new SpinBudget(baseMs, 8);
    budget.afterPark(0.1);
    expect(budget.ms).to.equal(baseMs);
  });

  it('after this CPU woke a parked one, ends the spin at once, and learns nothing from the park after it', () => {
    const budget = new SpinBudget(baseMs, 8);
    budget.afterPark(0);
    budget.afterPark(0);
    expect(budget.ms).to.equal(0.16);
    expect(budget.yieldNow(5), 'no wake: spin').to.equal(false);
    budget.wokeParkedCpu(5);
    budget.wokeParkedCpu(5.01);
    expect(budget.yieldNow(5.02), 'a wake: park now').to.equal(true);
    expect(budget.yieldNow(5.02), 'once for a run of wakes').to.equal(false);
    // A park of four budgets would halve the budget; after a yield it was not the spin's doing.
    budget.afterPark(10 * 0.16, true);
    expect(budget.ms).to.equal(0.16);
    budget.afterPark(10 * 0.16);
    expect(budget.ms, 'the next park is learnt from again').to.equal(0.08);
  });

  it('spins as usual when the wake is four budgets old: the CPU it woke is running by then', () => {
    const budget = new SpinBudget(baseMs, 1);
    budget.wokeParkedCpu(10);
    expect(budget.yieldNow(10 + 4 * baseMs)).to.equal(false);
    budget.wokeParkedCpu(20);
    expect(budget.yieldNow(20 + 3 * baseMs)).to.equal(true);
  });

  it('spins again once a CPU it woke answers within four budgets, and yields again after a long park', () => {
    const budget = new SpinBudget(baseMs, 1);
    budget.wokeParkedCpu(0);
    expect(budget.yieldNow(0)).to.equal(true);
    // The answer came 0.1 ms into the park: two CPUs that talk. Parking after every wake would make
    // each of their messages wait for a wake-up.
    budget.afterPark(0.1, true);
    budget.wokeParkedCpu(1);
    expect(budget.yieldNow(1), 'talking: spin').to.equal(false);
    budget.afterPark(0.1);
    budget.wokeParkedCpu(2);
    expect(budget.yieldNow(2), 'still talking').to.equal(false);
    // A park of four budgets or more: its peers went quiet.
    budget.afterPark(4 * baseMs);
    budget.wokeParkedCpu(3);
    expect(budget.yieldNow(3)).to.equal(true);
    // An answer as late as that keeps it yielding.
    budget.afterPark(4 * baseMs, true);
    budget.wokeParkedCpu(4);
    expect(budget.yieldNow(4)).to.equal(true);
  });

  it('forgets a wake it made while parked: the spin after the park is a whole one', () => {
    const budget = new SpinBudget(baseMs, 8);
    budget.wokeParkedCpu(0);
    budget.afterPark(0.001);
    expect(budget.yieldNow(0.001)).to.equal(false);
    expect(budget.ms).to.equal(0.08);
  });

  it('never grows with a growth bound of 1, nor from a base of 0', () => {
    const fixed = new SpinBudget(baseMs, 1);
    fixed.afterPark(0);
    expect(fixed.ms).to.equal(baseMs);
    const none = new SpinBudget(0, 8);
    none.afterPark(0);
    expect(none.ms).to.equal(0);
  });

  it('stays within its base and its growth bound whatever the parks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.array(fc.oneof(fc.double({ min: 0, max: 2_000, noNaN: true }), fc.constantFrom('woke', 'spin'))),
        (growth, events) => {
          const budget = new SpinBudget(baseMs, growth);
          let nowMs = 0;
          let yielded = false;
          for (const event of events) {
            if (event === 'woke') budget.wokeParkedCpu(nowMs);
            else if (event === 'spin') yielded = budget.yieldNow(nowMs);
            else {
              budget.afterPark(event, yielded);
              yielded = false;
              nowMs += event;
            }
            expect(budget.ms).to.be.within(baseMs, baseMs * growth);
          }
        },
      ),
    );
  });

  it('refuses a negative base and a growth below 1', () => {
    expect(() => new SpinBudget(-1, 8)).to.throw(/non-negative/);
    expect(() => new SpinBudget(baseMs, 0.5)).to.throw(/at least 1/);
  });

  it('grows only on a machine with a core for every CPU', () => {
    expect(spinGrowthFor(2, 2)).to.equal(idleSpinGrowthMax);
    expect(spinGrowthFor(1, 8)).to.equal(idleSpinGrowthMax);
    expect(spinGrowthFor(3, 2)).to.equal(1);
  });
});
