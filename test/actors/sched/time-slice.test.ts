/**
 * OSv's `time_until`: running for the computed time must bring the runner just past its target
 * (overshooting by the 1.01 factor, never undershooting), whatever p, c and the gap; the slice is
 * never below the minimum; and the between-messages rule ends a turn on each of its three causes.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { charge, createNormClock, runtimeExported, schedLimits, sliceMs, timeUntil, turnOver, type Runtime } from '../../../actors/sched/index.js';

const { tauMs, sliceMsMin, timeUntilOvershoot } = schedLimits;

describe('sched time slice', () => {
  it('time_until brings the runner to its target, overshooting by at most the 1.01 factor', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.double({ min: 0, max: 5_000, noNaN: true }),
        fc.double({ min: 0.01, max: 3_000, noNaN: true }),
        (priority, historyMs, gapMs) => {
          const clock = createNormClock();
          const runner: Runtime = { priority, runtime: 0, renormalizeCount: runtimeExported };
          charge(clock, runner, historyMs);
          // The target: where the runner would be after gapMs more.
          const probe = { ...runner };
          const probeClock = { ...clock };
          charge(probeClock, probe, gapMs);
          const target = probe.runtime;
          const until = timeUntil(clock, runner, target);
          expect(until).to.be.closeTo(gapMs * timeUntilOvershoot, gapMs * 1e-6 + 1e-9);
          charge(clock, runner, until);
          expect(runner.runtime).to.be.at.least(target);
        },
      ),
    );
  });

  it('is 0 at or past the target and ∞ for the idle class or an idle target', () => {
    const clock = createNormClock();
    const runner: Runtime = { priority: 1, runtime: 0, renormalizeCount: runtimeExported };
    charge(clock, runner, 100);
    expect(timeUntil(clock, runner, runner.runtime)).to.equal(0);
    expect(timeUntil(clock, runner, runner.runtime / 2)).to.equal(0);
    expect(timeUntil(clock, runner, Number.POSITIVE_INFINITY)).to.equal(Number.POSITIVE_INFINITY);
    const idle: Runtime = { priority: Number.POSITIVE_INFINITY, runtime: Number.POSITIVE_INFINITY, renormalizeCount: 0 };
    expect(timeUntil(clock, idle, 1)).to.equal(Number.POSITIVE_INFINITY);
  });

  it('never hands out a slice below the minimum', () => {
    const clock = createNormClock();
    const runner: Runtime = { priority: 1, runtime: 0, renormalizeCount: runtimeExported };
    charge(clock, runner, 1_000);
    expect(sliceMs(clock, runner, runner.runtime)).to.equal(sliceMsMin);
    expect(sliceMs(clock, runner, runner.runtime * (1 + 1e-9))).to.equal(sliceMsMin);
    const farther = runner.runtime + runner.priority * clock.c * (Math.exp(20 / tauMs) - 1);
    expect(sliceMs(clock, runner, farther)).to.be.closeTo(20 * timeUntilOvershoot, 1e-9);
  });

  it('ends a turn when the slice has run out, the budget is spent, or a reschedule is pending', () => {
    const grant = { deadlineMs: 10, messagesMax: 100 };
    expect(turnOver(grant, 9.99, 99, false)).to.equal(false);
    expect(turnOver(grant, 10, 1, false)).to.equal(true);
    expect(turnOver(grant, 0, 100, false)).to.equal(true);
    expect(turnOver(grant, 0, 1, true)).to.equal(true);
    expect(turnOver({ deadlineMs: Number.POSITIVE_INFINITY, messagesMax: 100 }, 1e12, 99, false)).to.equal(false);
  });
});
