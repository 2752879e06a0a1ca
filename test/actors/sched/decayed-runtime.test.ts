/**
 * The runtime accounting: R'' = R·c against the closed forms of the decayed runtime, the
 * hysteresis pair, sleepers catching up with missed renormalisations, migration between CPUs, and
 * renormalisation itself: it must scale every runnable runtime by exactly 2^-126 (so the queue
 * order cannot change) and keep every value finite over hours of simulated time.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import {
  charge,
  createCpuScheduler,
  createNormClock,
  createSchedEntity,
  decayedRuntime,
  EntityState,
  exportRuntime,
  hysteresisRunStart,
  hysteresisRunStop,
  renormalizeClock,
  renormalizeRunnable,
  runtimeExported,
  schedLimits,
  updateAfterSleep,
  type NormClock,
  type Runtime,
} from '../../../actors/sched/index.js';
import { hog, seededRandom, simulate, type SimActor } from './sim.js';
import { stressSize } from '../../helpers/stress.js';

const { tauMs, normFactorMax, renormalizeScale, hysteresisMs } = schedLimits;

function runtimeOf(priority: number): Runtime {
  return { priority, runtime: 0, renormalizeCount: runtimeExported };
}

/** Charges in steps, renormalising the one runtime when due (what the scheduler does). */
function run(clock: NormClock, runtime: Runtime | null, ms: number, stepMs = 1_000): void {
  for (let left = ms; left > 0; left -= stepMs) {
    if (charge(clock, runtime, Math.min(stepMs, left))) {
      renormalizeClock(clock);
      if (runtime !== null) renormalizeRunnable(clock, runtime);
    }
  }
}

/** |actual − expected| within `relative` of expected, or within `absolute` (rounding at a larger scale). */
function closeTo(actual: number, expected: number, relative: number, absolute = 1e-300): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).to.be.at.most(relative * Math.abs(expected) + absolute);
}

describe('sched decayed runtime', () => {
  it('gives a hog R = p·(1 − e^{-t/τ}), bounded by p', () => {
    for (const priority of [0.5, 1, 3]) {
      const clock = createNormClock();
      const runtime = runtimeOf(priority);
      for (const t of [10, 200, 1_000, 60_000]) {
        const before = decayedRuntime(clock, runtime);
        const since = t - (before === 0 ? 0 : -tauMs * Math.log(1 - before / priority));
        run(clock, runtime, since);
        closeTo(decayedRuntime(clock, runtime), priority * (1 - Math.exp(-t / tauMs)), 1e-9);
        expect(decayedRuntime(clock, runtime)).to.be.at.most(priority * (1 + 1e-12));
      }
    }
  });

  it('decays a sleeper by e^{-t/τ} while the CPU runs others or idles', () => {
    const clock = createNormClock();
    const sleeper = runtimeOf(1);
    run(clock, sleeper, 100);
    const ran = decayedRuntime(clock, sleeper);
    closeTo(ran, 1 - Math.exp(-0.5), 1e-12);
    run(clock, null, 300);
    closeTo(decayedRuntime(clock, sleeper), ran * Math.exp(-1.5), 1e-12);
  });

  it('advances c by e^{t/τ} to within two ulps, for charges of nanoseconds to seconds', () => {
    // Each range meets one way of computing it: the short series, the long one, Math.exp; each
    // bound is drawn too, and its neighbours an ulp away.
    const shortMs = schedLimits.tauMs * 2 ** -17;
    const longMs = schedLimits.tauMs * 2 ** -10;
    const near = (ms: number) => fc.constantFrom(ms, ms * (1 - Number.EPSILON), ms * (1 + Number.EPSILON));
    for (const [minMs, maxMs] of [
      [0, shortMs],
      [shortMs, longMs],
      [longMs, 5_000],
    ] as const) {
      fc.assert(
        fc.property(fc.oneof(fc.double({ min: minMs, max: maxMs, noNaN: true }), near(minMs), near(maxMs)), (ranMs) => {
          const clock = createNormClock();
          const before = clock.c;
          charge(clock, null, ranMs);
          const expected = before * Math.exp(ranMs * (1 / schedLimits.tauMs));
          expect(Math.abs(clock.c - expected)).to.be.at.most(2 * Number.EPSILON * expected);
        }),
      );
    }
  });

  it('composes: charging a then b is charging a + b', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.double({ min: 0, max: 500, noNaN: true }),
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        (a, b, p) => {
          const split = { clock: createNormClock(), runtime: runtimeOf(p) };
          const whole = { clock: createNormClock(), runtime: runtimeOf(p) };
          charge(split.clock, split.runtime, a);
          charge(split.clock, split.runtime, b);
          charge(whole.clock, whole.runtime, a + b);
          // R is p·(1 − c_old/c_new): for a charge of nanoseconds it is a difference near p, so its
          // rounding error is a few ulps of p, not of R.
          closeTo(decayedRuntime(split.clock, split.runtime), decayedRuntime(whole.clock, whole.runtime), 1e-9, 8 * Number.EPSILON * p);
        },
      ),
    );
  });

  it('hysteresis start, a run, and stop add up to the run alone (the credit is only borrowed)', () => {
    for (const ranMs of [0, 1, 7, 250]) {
      const credited = { clock: createNormClock(), runtime: runtimeOf(2) };
      const plain = { clock: createNormClock(), runtime: runtimeOf(2) };
      run(credited.clock, credited.runtime, 50);
      run(plain.clock, plain.runtime, 50);
      const before = decayedRuntime(credited.clock, credited.runtime);
      hysteresisRunStart(credited.clock, credited.runtime);
      // While credited, the runtime is lower by about p·thyst/τ.
      expect(credited.runtime.runtime / credited.clock.c).to.be.below(before);
      charge(credited.clock, credited.runtime, ranMs);
      hysteresisRunStop(credited.clock, credited.runtime);
      charge(plain.clock, plain.runtime, ranMs);
      closeTo(decayedRuntime(credited.clock, credited.runtime), decayedRuntime(plain.clock, plain.runtime), 1e-12);
      closeTo(credited.clock.c, plain.clock.c, 1e-12);
    }
    expect(hysteresisMs).to.equal(5);
  });

  it('renormalises when c reaches 2^63: c and the runner scale by 2^-126, the count moves on', () => {
    const clock = createNormClock();
    const runtime = runtimeOf(1);
    let renormalizations = 0;
    for (let i = 0; i < 200; i++) {
      const _c = clock.c;
      const stored = runtime.runtime;
      if (charge(clock, runtime, 1_000)) {
        const grown = runtime.runtime;
        renormalizeClock(clock);
        renormalizeRunnable(clock, runtime);
        renormalizations++;
        expect(runtime.runtime).to.equal(grown * renormalizeScale);
        expect(clock.c).to.be.below(normFactorMax);
      }
      expect(clock.c).to.be.below(normFactorMax);
      expect(stored).to.be.at.least(0);
    }
    // 200 s of CPU time, c grows by e^{t/τ}: one renormalisation per τ·126·ln2 ≈ 17.5 s.
    expect(renormalizations).to.equal(Math.floor(200_000 / (tauMs * 126 * Math.LN2)));
    expect(clock.renormalizeCount).to.equal(renormalizations);
  });

  it('brings a sleeper up to date from the renormalisations it missed: none, one, or more (then 0)', () => {
    for (const missed of [0, 1, 2, 5]) {
      const clock = createNormClock();
      const sleeper = runtimeOf(1);
      run(clock, sleeper, 100);
      const ran = decayedRuntime(clock, sleeper);
      const c0 = clock.c;
      const count0 = clock.renormalizeCount;
      while (clock.renormalizeCount < count0 + missed) run(clock, null, 1_000);
      run(clock, null, 100);
      updateAfterSleep(clock, sleeper);
      expect(sleeper.renormalizeCount).to.equal(clock.renormalizeCount);
      // e^{slept/τ} = (c_now / c0) · 2^{126·missed}
      const decay = Math.exp(Math.log(c0) - Math.log(clock.c) - 126 * Math.LN2 * missed);
      if (missed <= 1) closeTo(decayedRuntime(clock, sleeper), ran * decay, 1e-9);
      else expect(sleeper.runtime).to.equal(0);
    }
  });

  it('exports R and imports it on another CPU unchanged (migration)', () => {
    const source = createNormClock();
    const target = createNormClock();
    run(target, null, 12_345); // a different c
    const runtime = runtimeOf(1.5);
    run(source, runtime, 321);
    const before = decayedRuntime(source, runtime);
    exportRuntime(source, runtime);
    expect(runtime.renormalizeCount).to.equal(runtimeExported);
    expect(decayedRuntime(source, runtime)).to.equal(before);
    updateAfterSleep(target, runtime);
    closeTo(decayedRuntime(target, runtime), before, 1e-12);
  });

  it('keeps the idle class at ∞ through charges, credits and renormalisations', () => {
    const clock = createNormClock();
    const idle = createSchedEntity(null, { priority: schedLimits.priorityIdle });
    updateAfterSleep(clock, idle);
    run(clock, idle, 40_000);
    hysteresisRunStart(clock, idle);
    charge(clock, idle, 0);
    hysteresisRunStop(clock, idle);
    expect(idle.runtime).to.equal(Number.POSITIVE_INFINITY);
  });

  it('never changes the order of queued entities when renormalising: every runtime scales by exactly 2^-126', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 24 }),
        fc.array(fc.double({ min: 0.02, max: 3, noNaN: true }), { minLength: 50, maxLength: 400 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        (count, costs, seed) => {
          const random = seededRandom(seed);
          const scheduler = createCpuScheduler<SimActor>();
          const entities = Array.from({ length: count }, (_, i) =>
            createSchedEntity(hog((costs[i % costs.length]! * (1 + random())) / 2), { priority: 1 + (i % 3) }),
          );
          for (const entity of entities) scheduler.wake(entity, 0);
          // Run the hogs until c is one step (< intervalMsMax) from its bound.
          let now = 0;
          while (scheduler.clock.c * Math.exp(schedLimits.intervalMsMax / tauMs) < normFactorMax) {
            now = simulate(scheduler, { startMs: now, untilMs: now + 2_000, recordSlices: false }).nowMs;
          }
          const before = scheduler.queued();
          const runtimes = before.map((entity) => entity.runtime);
          const renormalizations = scheduler.stats.renormalizations;
          // The wake of a newcomer accounts the runner up to now, which crosses the bound.
          const dueMs = tauMs * Math.log(normFactorMax / scheduler.clock.c) + 1;
          scheduler.wake(createSchedEntity(hog(1)), now + dueMs);
          expect(scheduler.stats.renormalizations).to.equal(renormalizations + 1);
          const after = scheduler.queued().filter((entity) => before.includes(entity));
          expect(after).to.deep.equal(before);
          after.forEach((entity, i) => expect(entity.runtime).to.equal(runtimes[i]! * renormalizeScale));
        },
      ),
      { numRuns: 40 },
    );
  });

  /** Busy hours of simulated time: the SIM_HOURS size of test/helpers/stress.ts. */
  const busyHours = stressSize('SIM_HOURS', { ci: 1, full: 3 });

  it(`keeps c and every runtime finite over ${busyHours} h of busy simulated time and a 5 h idle gap, with sleepers and wakes`, () => {
    const random = seededRandom(20_240_601);
    const scheduler = createCpuScheduler<SimActor>();
    const entities = Array.from({ length: 12 }, (_, i) => {
      const actor = i < 4 ? hog({ min: 5, max: 50, random }) : { costMs: () => 5 + 45 * random(), pending: 1 + Math.floor(random() * 40) };
      return createSchedEntity(actor, { priority: [0.5, 1, 2, 7][i % 4]! });
    });
    for (const entity of entities) scheduler.wake(entity, 0);
    const hourMs = 3_600_000;
    let now = 0;
    let checks = 0;
    const check = (): void => {
      const c = scheduler.clock.c;
      expect(c > 0 && c < normFactorMax, `c = ${c}`).to.equal(true);
      for (const entity of entities) {
        expect(Number.isFinite(entity.runtime), `runtime ${entity.runtime}`).to.equal(true);
        if (entity.state === EntityState.queued || entity.state === EntityState.running) {
          // R ≤ p: a decayed average of at most full use (less the hysteresis credit while running).
          expect(decayedRuntime(scheduler.clock, entity)).to.be.within(-entity.priority * 0.03, entity.priority * 1.001);
        }
      }
      checks++;
    };
    for (let hour = 1; hour <= busyHours; hour++) {
      const untilMs = hour * hourMs;
      now = simulate(scheduler, {
        startMs: now,
        untilMs,
        recordSlices: false,
        beforeMessage: (at) => {
          // Sleepers get new work now and then.
          if (random() < 0.01) {
            const entity = entities[4 + Math.floor(random() * 8)]!;
            if (entity.state === EntityState.sleeping) {
              entity.owner.pending = 1 + Math.floor(random() * 40);
              scheduler.wake(entity, at);
            }
          }
          if (random() < 0.001) check();
        },
      }).nowMs;
      check();
    }
    // A five-hour idle gap: the hogs sleep, time jumps, they wake (the interval is clamped).
    const turn = scheduler.pickNext(now);
    expect(turn).to.not.equal(null);
    scheduler.sleep(turn!.entity, now);
    now += 5 * hourMs;
    scheduler.wake(turn!.entity, now);
    expect(scheduler.pickNext(now)).to.not.equal(null);
    check();
    // One renormalisation per τ·126·ln2 ≈ 17.5 s of busy time: about 206 an hour.
    expect(scheduler.stats.renormalizations).to.be.within(200 * busyHours, 233 * busyHours);
    expect(checks).to.be.greaterThan(50);
  });
});
