/**
 * Fairness on a simulated CPU (sim.ts): the dispatcher's loop on a time variable, with CPU-bound
 * actors whose every message costs a fixed or a seeded-random amount of CPU time.
 *
 * - Shares follow the 1/p weights within ±5 % (fast-check over K, priorities and costs).
 * - Equal hogs alternate every 2·thyst = 10 ms, not every message.
 * - A newcomer, or a long sleeper, gets the CPU at the next message boundary against a hog and
 *   keeps it for about ln2·τ + thyst.
 * - Real-time entities always run first.
 *
 * A note on the ±5 %: OSv's fairness is exact only when slices are short next to τ. Hysteresis makes
 * every switch-in worth thyst of extra CPU, and the entity with the smallest share waits through the
 * others' slices while history decays, so it comes out ahead by about
 * (thyst / 2τ)·(p_max/p_min − 1)·(K − 1), 1.25 % per unit of (spread − 1)·(K − 1) with OSv's
 * constants (OSv behaves the same: the effect is in the algorithm, not in this port). The ±5 %
 * property is therefore checked for spreads up to 2 and up to 4 entities (at most 3.75 %), and a
 * separate test pins the size of the effect beyond that, so a change that makes it worse is noticed.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { createCpuScheduler, createSchedEntity, EntityState, SchedClass, schedLimits, type SchedEntity } from '../../../actors/sched/index.js';
import { hog, jainIndex, seededRandom, simulate, type SimActor } from './sim.js';

const { tauMs, hysteresisMs, priorityInfinity } = schedLimits;

interface CostSpec {
  readonly fixedMs?: number;
  readonly randomMs?: { readonly min: number; readonly max: number; readonly seed: number };
}

function hogFor(cost: CostSpec): SimActor {
  if (cost.fixedMs !== undefined) return hog(cost.fixedMs);
  const { min, max, seed } = cost.randomMs!;
  return hog({ min, max, random: seededRandom(seed) });
}

/** Relative error of each entity's share against its 1/p weight, over [measureFromMs, untilMs). */
function shareErrors(priorities: readonly number[], cost: CostSpec, untilMs = 40_000): number[] {
  const scheduler = createCpuScheduler<SimActor>();
  const entities = priorities.map((priority) => createSchedEntity(hogFor(cost), { priority }));
  for (const entity of entities) scheduler.wake(entity, 0);
  const { cpuMs } = simulate(scheduler, { startMs: 0, untilMs, measureFromMs: 2_000, recordSlices: false });
  const total = [...cpuMs.values()].reduce((sum, ms) => sum + ms, 0);
  const weights = priorities.map((priority) => 1 / priority);
  const weightTotal = weights.reduce((sum, weight) => sum + weight, 0);
  return entities.map((entity, i) => cpuMs.get(entity)! / total / (weights[i]! / weightTotal) - 1);
}

const costArbitrary: fc.Arbitrary<CostSpec> = fc.oneof(
  fc.record({ fixedMs: fc.double({ min: 0.02, max: 1, noNaN: true }) }),
  fc.record({ randomMs: fc.record({ min: fc.constant(0.02), max: fc.double({ min: 0.05, max: 1, noNaN: true }), seed: fc.nat() }) }),
);

describe('sched fairness (simulated clock)', () => {
  it('gives K hogs with priorities p1..pK shares within ±5 % of the 1/p weights', () => {
    const prioritiesArbitrary = fc.tuple(
      fc.array(fc.constantFrom(1, 1.25, 1.5, 1.75, 2), { minLength: 2, maxLength: 4 }),
      fc.constantFrom(0.5, 1, 4), // only ratios matter: the same schedule at every scale
    );
    fc.assert(
      fc.property(prioritiesArbitrary, costArbitrary, ([relative, scale], cost) => {
        const priorities = relative.map((priority) => priority * scale);
        const errors = shareErrors(priorities, cost);
        for (const error of errors) expect(Math.abs(error), `priorities ${priorities}, errors ${errors.map((e) => e.toFixed(4))}`).to.be.below(0.05);
      }),
      { numRuns: 12 },
    );
  });

  it('gives priorities 1, 1.5, 2 shares 6/13, 4/13, 3/13 within ±5 %', () => {
    const errors = shareErrors([1, 1.5, 2], { fixedMs: 0.1 });
    for (const error of errors) expect(Math.abs(error)).to.be.below(0.05);
  });

  it('favours the smallest share by about (thyst/2τ)·(spread − 1)·(K − 1) beyond that (the hysteresis effect)', () => {
    for (const [spread, count] of [
      [8, 2],
      [3, 3],
      [2, 4],
    ] as const) {
      const errors = shareErrors([spread, ...Array<number>(count - 1).fill(1)], { fixedMs: 0.1 });
      const predicted = (hysteresisMs / (2 * tauMs)) * (spread - 1) * (count - 1);
      expect(errors[0], `spread ${spread}, K ${count}`).to.be.within(0.7 * predicted, 1.2 * predicted);
      for (const error of errors.slice(1)) expect(error).to.be.below(0);
    }
  });

  it('gives 8 equal hogs a Jain fairness index of at least 0.99', () => {
    const errors = shareErrors([1, 1, 1, 1, 1, 1, 1, 1], { randomMs: { min: 0.02, max: 1, seed: 8 } });
    const index = jainIndex(errors.map((error) => 1 + error));
    expect(index).to.be.at.least(0.99);
    for (const error of errors) expect(Math.abs(error)).to.be.below(0.01);
  });

  it('alternates two equal hogs every 2·thyst, not every message', () => {
    const scheduler = createCpuScheduler<SimActor>();
    const costMs = 0.05;
    for (let i = 0; i < 2; i++) scheduler.wake(createSchedEntity(hog(costMs)), 0);
    const { slices, messages } = simulate(scheduler, { startMs: 0, untilMs: 2_000 });
    // The first slice is the first hog's credit alone (the other has not run yet): thyst.
    expect(slices[0]!.endMs - slices[0]!.startMs).to.be.closeTo(hysteresisMs, costMs);
    const steady = slices.slice(1, -1);
    for (const slice of steady) expect(slice.endMs - slice.startMs).to.be.closeTo(2 * hysteresisMs, 2 * costMs);
    for (let i = 1; i < steady.length; i++) expect(steady[i]!.entity).to.not.equal(steady[i - 1]!.entity);
    // ~200 switches for 40 000 messages; turns end every 100 messages, but the runner keeps the CPU.
    expect(slices.length).to.be.within(195, 205);
    expect(messages).to.be.closeTo(2_000 / costMs, 2);
    expect(scheduler.stats.switches).to.equal(slices.length);
  });

  it('gives a newcomer the CPU at the next message boundary against a hog, for about ln2·τ + thyst', () => {
    for (const kind of ['new', 'long-sleeper'] as const) {
      const scheduler = createCpuScheduler<SimActor>();
      const costMs = 0.05;
      const hogEntity = createSchedEntity(hog(costMs));
      const other = createSchedEntity(hog(costMs));
      scheduler.wake(hogEntity, 0);
      let wakeAtMs = 2_000;
      if (kind === 'long-sleeper') {
        // `other` competes as a hog for 2 s, then sleeps 10 s (≫ τ) while the hog runs alone.
        scheduler.wake(other, 0);
        simulate(scheduler, {
          startMs: 0,
          untilMs: 2_000,
          beforeMessage: (at) => {
            if (at >= 1_990 && other.state === EntityState.running) scheduler.sleep(other, at);
          },
        });
        expect(other.state).to.equal(EntityState.sleeping);
        wakeAtMs = 12_000;
      }
      const startMs = kind === 'new' ? 0 : 2_000;
      let woken = false;
      const { slices } = simulate(scheduler, {
        startMs,
        untilMs: wakeAtMs + 1_000,
        beforeMessage: (at) => {
          if (!woken && at >= wakeAtMs) {
            woken = true;
            expect(scheduler.wake(other, at)).to.equal(true);
            expect(scheduler.needReschedule).to.equal(true);
          }
        },
      });
      const first = slices.find((slice) => slice.entity === other && slice.startMs >= wakeAtMs - 1)!;
      expect(first.startMs - wakeAtMs, kind).to.be.within(0, costMs + 1e-9);
      expect(first.endMs - first.startMs, kind).to.be.closeTo(Math.LN2 * tauMs + hysteresisMs, 3);
    }
  });

  it('always runs real-time entities first, and picks a woken one at the next message boundary', () => {
    const random = seededRandom(42);
    const scheduler = createCpuScheduler<SimActor>();
    const fair = [1, 2, 3].map((priority) => createSchedEntity(hog({ min: 0.05, max: 0.5, random }), { priority }));
    const realtime = [0, 1].map(() => createSchedEntity<SimActor>({ costMs: () => 0.2, pending: 0 }, { priority: priorityInfinity }));
    for (const entity of fair) scheduler.wake(entity, 0);
    const runnable = (entity: SchedEntity<SimActor>): boolean => entity.state === EntityState.queued || entity.state === EntityState.running;
    // Wakes that found no other real-time entity runnable: they must run after at most one message.
    const lone: { entity: SchedEntity<SimActor>; atMs: number }[] = [];
    let boundaries = 0;
    const { slices } = simulate(scheduler, {
      startMs: 0,
      untilMs: 20_000,
      beforeMessage: (at) => {
        const running = scheduler.current;
        // A fair entity may hold the CPU while a real-time one is runnable only until the message
        // in progress ends: the wake set needReschedule, so this turn is over.
        if (running !== null && running.schedClass !== SchedClass.realtime && realtime.some(runnable)) {
          expect(scheduler.needReschedule).to.equal(true);
          expect(scheduler.turnOver(at, 1)).to.equal(true);
        }
        if (random() < 0.002) {
          const entity = realtime[Math.floor(random() * realtime.length)]!;
          const alone = !realtime.some(runnable);
          entity.owner.pending += 1 + Math.floor(random() * 300);
          if (scheduler.wake(entity, at) && alone) lone.push({ entity, atMs: at });
        }
        boundaries++;
      },
    });
    for (const { entity, atMs } of lone) {
      const first = slices.find((slice) => slice.entity === entity && slice.startMs >= atMs)!;
      expect(first.startMs - atMs).to.be.at.most(0.5 + 1e-9); // one fair message at most
    }
    expect(lone.length).to.be.greaterThan(50);
    expect(boundaries).to.be.greaterThan(10_000);
  });
});
