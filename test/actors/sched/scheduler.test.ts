/**
 * The per-CPU scheduler's API, one behaviour per case: idempotent wakes and when they ask for a
 * reschedule, sleeping, detaching and migrating, the context-switch penalty, the clock standing
 * still, the idle and real-time classes, and misuse caught by assertions.
 */
import { expect } from 'chai';
import {
  addContextSwitchPenalty,
  charge,
  createCpuScheduler,
  createNormClock,
  createSchedEntity,
  decayedRuntime,
  EntityState,
  hysteresisRunStart,
  hysteresisRunStop,
  schedLimits,
  type CpuScheduler,
  type SchedEntity,
} from '../../../actors/sched/index.js';
import { hog, simulate, type SimActor } from './sim.js';

const { hysteresisMs, contextSwitchPenaltyMs, priorityIdle, priorityInfinity, tauMs } = schedLimits;

function entity(priority = 1): SchedEntity<SimActor> {
  return createSchedEntity(hog(0.1), { priority });
}

/** Runs the current turn's entity for `ms` of CPU and returns the next turn's entity. */
function runFor(scheduler: CpuScheduler<SimActor>, fromMs: number, ms: number): SchedEntity<SimActor> | null {
  return scheduler.pickNext(fromMs + ms)?.entity ?? null;
}

describe('sched cpu scheduler', () => {
  it('wakes idempotently: a queued or running entity is left alone', () => {
    const scheduler = createCpuScheduler<SimActor>();
    const a = entity();
    expect(scheduler.wake(a, 0)).to.equal(true);
    expect(scheduler.wake(a, 0)).to.equal(false);
    expect(scheduler.pickNext(0)!.entity).to.equal(a);
    expect(scheduler.wake(a, 1)).to.equal(false);
    expect([a.state, scheduler.load, scheduler.queuedCount]).to.deep.equal([EntityState.running, 1, 0]);
  });

  it('asks for a reschedule only when a wake changes the queue head under a fair runner', () => {
    const scheduler = createCpuScheduler<SimActor>();
    const [sleeper, runner, newcomer, later] = [entity(), entity(), entity(), entity()];
    // sleeper runs 300 ms alone (R ≈ 0.78) and sleeps; runner then runs 50 ms alone (R ≈ 0.22).
    scheduler.wake(sleeper, 0);
    scheduler.pickNext(0);
    scheduler.sleep(sleeper, 300);
    scheduler.wake(runner, 300);
    expect(scheduler.needReschedule, 'nothing runs: the dispatcher just picks').to.equal(false);
    expect(scheduler.pickNext(300)!.entity).to.equal(runner);
    scheduler.wake(newcomer, 350);
    expect(scheduler.needReschedule, 'a newcomer heads the empty queue').to.equal(true);
    expect(scheduler.pickNext(350)!.entity).to.equal(newcomer);
    expect(scheduler.needReschedule).to.equal(false);
    // newcomer runs, runner heads the queue; the sleeper (R ≈ 0.6 after decay) queues behind it.
    scheduler.wake(sleeper, 351);
    expect(scheduler.needReschedule, 'behind the head').to.equal(false);
    expect(scheduler.queued()).to.deep.equal([runner, sleeper]);
    scheduler.wake(later, 352);
    expect(scheduler.needReschedule, 'a new head').to.equal(true);
  });

  it('charges the context-switch penalty on a preemption, not when the runner sleeps', () => {
    const switchIn = (preempt: boolean): { runtime: number; c: number } => {
      const scheduler = createCpuScheduler<SimActor>();
      const [first, second] = [entity(), entity()];
      scheduler.wake(first, 0);
      scheduler.wake(second, 0);
      scheduler.pickNext(0);
      if (preempt) {
        expect(scheduler.pickNext(20)!.entity).to.equal(second); // first passed second: preempted
        expect(scheduler.stats.preemptions).to.equal(1);
      } else {
        scheduler.sleep(first, 20);
        expect(scheduler.pickNext(20)!.entity).to.equal(second);
        expect(scheduler.stats.preemptions).to.equal(0);
      }
      // The clock first: reading it applies the runner's owed hysteresis credit to its runtime.
      const { c } = scheduler.clock;
      return { runtime: second.runtime, c };
    };
    const preempted = switchIn(true);
    const slept = switchIn(false);
    // ran_for(penalty) after the switch-in: c grows by e^{penalty/τ}, R'' by p·c·(1 − e^{-penalty/τ}).
    expect(preempted.c / slept.c).to.be.closeTo(Math.exp(contextSwitchPenaltyMs / tauMs), 1e-15);
    expect((preempted.runtime - slept.runtime) / preempted.c).to.be.closeTo(1 - Math.exp(-contextSwitchPenaltyMs / tauMs), 1e-15);
  });

  it('charges the penalty when the clock has not moved, so a frozen clock cannot loop forever', () => {
    const scheduler = createCpuScheduler<SimActor>();
    const [a, b] = [entity(), entity()];
    scheduler.wake(a, 0);
    scheduler.wake(b, 0);
    scheduler.pickNext(0);
    const switches = scheduler.stats.switches;
    let picks = 0;
    while (scheduler.stats.switches === switches) {
      scheduler.pickNext(0);
      picks++;
    }
    // The runner pays 10 µs per pick until it passes the other's R plus 2·thyst of credit.
    expect(picks).to.be.closeTo(hysteresisMs / contextSwitchPenaltyMs, 10);
  });

  it('keeps the runner (no switch) when a turn ends with the runner still most deserving', () => {
    const scheduler = createCpuScheduler<SimActor>();
    const [a, b] = [entity(), entity()];
    scheduler.wake(a, 0);
    scheduler.wake(b, 0);
    const first = scheduler.pickNext(0)!;
    expect([first.entity, first.switched]).to.deep.equal([a, true]);
    expect(first.sliceMs).to.be.closeTo(hysteresisMs * schedLimits.timeUntilOvershoot, 1e-6);
    const kept = scheduler.pickNext(2)!;
    expect([kept.entity, kept.switched]).to.deep.equal([a, false]);
    expect(kept.deadlineMs).to.be.closeTo(first.deadlineMs, 0.01);
    expect(scheduler.pickNext(first.deadlineMs)!.entity).to.equal(b);
  });

  it('keeps a runner below a head whose runtime is negative (a newcomer with its credit, or rounding)', () => {
    const scheduler = createCpuScheduler<SimActor>();
    const [runner, head] = [entity(), entity()];
    scheduler.wake(runner, 0);
    scheduler.pickNext(0);
    scheduler.wake(head, 0);
    // R'' below zero: what a newcomer's credit or a rounding leaves. The runner is further below.
    head.runtime = -1e-17;
    runner.runtime = -1;
    const kept = scheduler.pickNext(0.001)!;
    expect([kept.entity, kept.switched]).to.deep.equal([runner, false]);
    expect(scheduler.stats.preemptions).to.equal(0);
  });

  it('tells at a wake whether the runner keeps the CPU, as the reschedule decides it (runnerOutranks)', () => {
    const outcomes: boolean[] = [];
    // The woken entity ran 0, 1, ..., 100 ms after the runner's 50 ms: from far behind the runner,
    // its switch-in credit counted, to far ahead. The reschedule at the same instant charges the
    // runner the context-switch penalty, so the two may differ within 10 µs of runtime; no point
    // of this grid falls there.
    for (let wokenRanMs = 0; wokenRanMs <= 100; wokenRanMs++) {
      const scheduler = createCpuScheduler<SimActor>();
      const [runner, woken] = [entity(), entity()];
      scheduler.wake(runner, 0);
      scheduler.pickNext(0);
      scheduler.sleep(runner, 50);
      scheduler.wake(woken, 50);
      scheduler.pickNext(50);
      const nowMs = 50 + wokenRanMs;
      scheduler.sleep(woken, nowMs);
      scheduler.wake(runner, nowMs);
      expect(scheduler.pickNext(nowMs)!.entity).to.equal(runner);
      scheduler.wake(woken, nowMs);
      const outranks = scheduler.runnerOutranks(woken);
      expect(scheduler.pickNext(nowMs)!.entity === runner, `woken after ${wokenRanMs} ms`).to.equal(outranks);
      outcomes.push(outranks);
    }
    expect(outcomes).to.include(true).and.to.include(false);
    // Never for a real-time entity, which a fair runner never outranks, nor from an idle CPU.
    const scheduler = createCpuScheduler<SimActor>();
    const [realtime, fair] = [entity(priorityInfinity), entity()];
    expect(scheduler.runnerOutranks(fair)).to.equal(false);
    scheduler.wake(fair, 0);
    scheduler.pickNext(0);
    scheduler.wake(realtime, 0);
    expect(scheduler.runnerOutranks(realtime)).to.equal(false);
  });

  it('works out a slice from the runtimes at its grant, though a wake during the turn charges the runner', () => {
    const slices = [false, true].map((wakeFirst) => {
      const scheduler = createCpuScheduler<SimActor>();
      const [a, b] = [entity(), entity()];
      scheduler.wake(a, 0);
      scheduler.wake(b, 0);
      const turn = scheduler.pickNext(0)!;
      // A newcomer attached mid-turn charges the runner for the 3 ms since the grant.
      if (wakeFirst) scheduler.wake(entity(), 3);
      return turn.sliceMs;
    });
    expect(slices[1]).to.equal(slices[0]);
    expect(slices[0]).to.be.closeTo(hysteresisMs * schedLimits.timeUntilOvershoot, 1e-6);
  });

  it('runs alone with an infinite slice, and idles (null) when nothing is runnable', () => {
    const scheduler = createCpuScheduler<SimActor>();
    expect(scheduler.pickNext(0)).to.equal(null);
    const a = entity();
    scheduler.wake(a, 5);
    const turn = scheduler.pickNext(5)!;
    expect([turn.entity, turn.sliceMs, turn.deadlineMs, turn.messagesMax]).to.deep.equal([a, Infinity, Infinity, schedLimits.turnMessagesMax]);
    expect(scheduler.turnOver(1e9, 99)).to.equal(false);
    expect(scheduler.turnOver(1e9, 100)).to.equal(true);
    scheduler.sleep(a, 10);
    expect(scheduler.pickNext(10)).to.equal(null);
    expect(scheduler.load).to.equal(0);
  });

  it('charges a runner that sleeps, and one preempted, what OSv charges: its credit is applied once something reads it', () => {
    // The reference does it eagerly, as OSv does: the credit at the switch-in, the runs, the payback.
    const clock = createNormClock();
    const [eagerA, eagerB, eagerRival] = [2, 2, 1].map((priority) => ({ priority, runtime: 0, renormalizeCount: 0 }));
    hysteresisRunStart(clock, eagerA!);
    charge(clock, eagerA!, 30);
    hysteresisRunStop(clock, eagerA!);
    hysteresisRunStart(clock, eagerB!);
    charge(clock, eagerB!, 30);
    charge(clock, eagerB!, 1);
    hysteresisRunStop(clock, eagerB!);
    hysteresisRunStart(clock, eagerRival!);
    addContextSwitchPenalty(clock, eagerRival!);
    const scheduler = createCpuScheduler<SimActor>();
    const [a, b, rival] = [entity(2), entity(2), entity()];
    // a runs 30 ms and sleeps before anything compares its runtime.
    scheduler.wake(a, 0);
    scheduler.pickNext(0);
    scheduler.sleep(a, 30);
    // b runs 31 ms; the rival's wake and the pick that preempts b read b's runtime.
    scheduler.wake(b, 30);
    scheduler.pickNext(30);
    scheduler.wake(rival, 60);
    expect(scheduler.pickNext(61)!.entity).to.equal(rival);
    const { c } = scheduler.clock;
    expect(c / clock.c).to.be.closeTo(1, 1e-14);
    for (const [entity, eager] of [
      [a, eagerA],
      [b, eagerB],
      [rival, eagerRival],
    ] as const) {
      expect(decayedRuntime(scheduler.clock, entity)).to.be.closeTo(decayedRuntime(clock, eager!), 1e-14);
    }
  });

  it('lets a sleeper decay while the CPU idles', () => {
    const scheduler = createCpuScheduler<SimActor>();
    const a = entity();
    scheduler.wake(a, 0);
    scheduler.pickNext(0);
    scheduler.sleep(a, 100);
    expect(scheduler.pickNext(100)).to.equal(null);
    scheduler.wake(a, 300);
    expect(scheduler.pickNext(300)!.entity).to.equal(a); // charges the 200 idle ms: c·e^1
    // R = (1 − e^-0.5)·e^-1, seen through the hysteresis credit of the switch-in.
    const credit = Math.exp(hysteresisMs / tauMs);
    const decayed = (1 - Math.exp(-0.5)) * Math.exp(-1);
    expect(decayedRuntime(scheduler.clock, a)).to.be.closeTo(decayed * credit - (credit - 1), 1e-12);
  });

  it('runs the idle class only when nothing else is runnable, and preempts it on any wake', () => {
    const scheduler = createCpuScheduler<SimActor>();
    const idle = entity(priorityIdle);
    const a = entity();
    scheduler.wake(idle, 0);
    const turn = scheduler.pickNext(0)!;
    expect([turn.entity, turn.sliceMs]).to.deep.equal([idle, Infinity]);
    scheduler.wake(a, 1_000);
    expect(scheduler.needReschedule).to.equal(true);
    expect(scheduler.pickNext(1_000)!.entity).to.equal(a);
    expect(runFor(scheduler, 1_000, 10_000)).to.equal(a);
    scheduler.sleep(a, 11_000);
    expect(scheduler.pickNext(11_000)!.entity).to.equal(idle);
    expect(idle.runtime).to.equal(Infinity);
  });

  it('serves real-time entities FIFO, round-robin per message budget, before fair ones', () => {
    const scheduler = createCpuScheduler<SimActor>({ turnMessagesMax: 10 });
    const fair = entity();
    const [r1, r2] = [entity(priorityInfinity), entity(priorityInfinity)];
    scheduler.wake(fair, 0);
    expect(scheduler.pickNext(0)!.entity).to.equal(fair);
    scheduler.wake(r1, 1);
    scheduler.wake(r2, 1);
    const turn = scheduler.pickNext(1)!;
    expect([turn.entity, turn.sliceMs]).to.deep.equal([r1, Infinity]);
    // A real-time runner is not preempted by wakes; its budget spent, the next real-time one runs.
    const order = [scheduler.pickNext(2)!.entity, scheduler.pickNext(3)!.entity, scheduler.pickNext(4)!.entity];
    expect(order).to.deep.equal([r2, r1, r2]);
    scheduler.sleep(r2, 5);
    expect(scheduler.pickNext(5)!.entity).to.equal(r1);
    scheduler.sleep(r1, 6);
    expect(scheduler.pickNext(6)!.entity).to.equal(fair);
    expect(r1.runtime + r2.runtime).to.equal(0);
  });

  it('detaches running, queued and sleeping entities, and a wake elsewhere resumes their decayed runtime', () => {
    for (const state of [EntityState.running, EntityState.queued, EntityState.sleeping] as const) {
      const source = createCpuScheduler<SimActor>({ cpu: 0 });
      const target = createCpuScheduler<SimActor>({ cpu: 1 });
      const [moved, other] = [entity(2), entity()];
      source.wake(moved, 0);
      source.wake(other, 0);
      simulate(source, { startMs: 0, untilMs: 1_000, recordSlices: false });
      // Step the CPU a millisecond at a time until `moved` runs (or, for queued, until the other does).
      let nowMs = 1_000;
      const wanted = state === EntityState.queued ? other : moved;
      while (source.current !== wanted) source.pickNext(++nowMs);
      if (state === EntityState.sleeping) source.sleep(moved, nowMs);
      expect(moved.state).to.equal(state);
      nowMs += 100;
      source.detach(moved, nowMs);
      expect([moved.state, moved.cpu, source.load]).to.deep.equal([EntityState.detached, -1, 1]);
      const exported = decayedRuntime(source.clock, moved);
      // The target CPU's c differs from the source's (it has been idle since 0): the import converts.
      target.wake(moved, nowMs);
      expect(target.clock.c).to.not.equal(source.clock.c);
      expect([moved.state, moved.cpu]).to.deep.equal([EntityState.queued, 1]);
      expect(decayedRuntime(target.clock, moved)).to.be.closeTo(exported, 1e-9 * exported);
      expect(exported).to.be.within(0.2, 2);
    }
  });

  it('executes a balancer decision: the least-deserving unpinned entity leaves for the least-loaded CPU', () => {
    const cpus = [0, 1].map((cpu) => createCpuScheduler<SimActor>({ cpu }));
    const entities = [1, 1, 1, 1].map((priority) => entity(priority));
    entities[3]!.pinned = true;
    for (const e of entities) cpus[0]!.wake(e, 0);
    simulate(cpus[0]!, { startMs: 0, untilMs: 500, recordSlices: false });
    const loads = () => cpus.map((cpu) => cpu.load);
    const worst = cpus[0]!
      .queued()
      .filter((e) => !e.pinned)
      .at(-1)!;
    const migration = cpus[0]!.balance(loads(), 500)!;
    expect([migration.entity, migration.source, migration.target]).to.deep.equal([worst, 0, 1]);
    cpus[1]!.wake(migration.entity, 500);
    expect(loads()).to.deep.equal([3, 1]);
    const second = cpus[0]!.balance(loads(), 600)!;
    expect(second.target).to.equal(1);
    cpus[1]!.wake(second.entity, 600);
    expect(loads()).to.deep.equal([2, 2]);
    expect(cpus[0]!.balance(loads(), 700)).to.equal(null);
    expect(cpus[1]!.balance(loads(), 700)).to.equal(null);
    expect(cpus[0]!.stats.migrations).to.equal(2);
    expect(() => cpus[0]!.balance([9, 0], 700)).to.throw(/current load/);
  });

  it('catches misuse: sleeping a non-runner, waking on the wrong CPU, priorities out of range', () => {
    const scheduler = createCpuScheduler<SimActor>({ cpu: 0 });
    const other = createCpuScheduler<SimActor>({ cpu: 1 });
    const a = entity();
    expect(() => scheduler.sleep(a, 0)).to.throw(/running entity/);
    scheduler.wake(a, 0);
    expect(() => other.wake(a, 0)).to.throw(/own CPU/);
    expect(() => other.detach(a, 0)).to.throw(/this CPU/);
    expect(() => createSchedEntity(null, { priority: 0 })).to.throw(/priority 0/);
    expect(() => createSchedEntity(null, { priority: 1e4 })).to.throw(/priority/);
    expect(() => createCpuScheduler({ turnMessagesMax: 0 })).to.throw(/turnMessagesMax/);
  });
});
