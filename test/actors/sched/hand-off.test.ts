/**
 * The hand-off: a runner that wakes a sleeper while nothing is queued, then sleeps, gives it the CPU
 * in one call (`CpuScheduler.handOff`), which the fair dispatcher makes for two actors that talk;
 * an idle CPU does the same for an actor woken from outside (an ask, a timer). It must leave every
 * runtime, the clock, the stats and the turn exactly as the calls it replaces (wake, sleep if a
 * runner, pickNext) would; and a kernel must behave as before when a turn does more than wake one
 * actor.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { fromReceive } from '../../../actors/runtime/behavior.js';
import type { ActorRef } from '../../../actors/runtime/ref.js';
import type { FairDispatcher } from '../../../actors/sched/fair-dispatcher.js';
import { type CpuScheduler, createCpuScheduler, createSchedEntity, EntityState, type SchedEntity, schedLimits } from '../../../actors/sched/index.js';
import { Kernel } from '../../../boot/kernel.js';
import { collectDeadLetters, shutdown } from '../../helpers/kernel.js';

const { priorityIdle, priorityInfinity, intervalMsMax } = schedLimits;

/** Real-time, idle and three fair priorities: every class a hand-off can meet. */
const priorities = [1, 2.5, 0.3, priorityInfinity, priorityIdle];

interface Twin {
  readonly scheduler: CpuScheduler<number>;
  readonly entities: SchedEntity<number>[];
}

function twin(): Twin {
  return { scheduler: createCpuScheduler<number>(), entities: priorities.map((priority, i) => createSchedEntity(i, { priority })) };
}

/** What the two schedulers must agree on, without reading c (which applies a credit still owed). */
function observe({ scheduler, entities }: Twin) {
  return {
    entities: entities.map((e) => [e.state, e.runtime, e.renormalizeCount]),
    current: scheduler.current?.owner ?? null,
    queued: scheduler.queued().map((e) => e.owner),
    stats: { ...scheduler.stats },
    needReschedule: scheduler.needReschedule,
  };
}

type Step = { readonly kind: 'hand-off' | 'alone' | 'wake' | 'sleep' | 'keep'; readonly pick: number; readonly ranMs: number };

const stepArbitrary: fc.Arbitrary<Step> = fc.record({
  kind: fc.constantFrom('hand-off', 'hand-off', 'hand-off', 'alone', 'wake', 'sleep', 'keep'),
  pick: fc.nat(),
  // Mostly short turns; now and then one of up to the clamp, which crosses c's bound once the CPU has
  // idled near it (see below).
  ranMs: fc.oneof(
    { arbitrary: fc.double({ min: 0, max: 0.05, noNaN: true }), weight: 9 },
    { arbitrary: fc.double({ min: 0, max: intervalMsMax, noNaN: true }), weight: 1 },
  ),
});

describe('sched hand-off', () => {
  it('leaves runtimes, c, the stats and the turn as wake, sleep and pickNext would, renormalisations included; an alone run as handOff and sleep would', () => {
    let handOffs = 0;
    let fromIdle = 0;
    let renormalizedHandOffs = 0;
    let alone = 0;
    let renormalizedAlone = 0;
    fc.assert(
      // The CPUs first idle for a while: c grows towards its bound, which the steps then cross.
      fc.property(fc.double({ min: 16_000, max: 17_460, noNaN: true }), fc.array(stepArbitrary, { minLength: 20, maxLength: 80 }), (idleMs, steps) => {
        const reference = twin();
        const handing = twin();
        let nowMs = 0;
        for (; nowMs < idleMs; nowMs = Math.min(nowMs + intervalMsMax, idleMs)) for (const t of [reference, handing]) t.scheduler.pickNext(nowMs);
        for (const step of steps) {
          const turnStartMs = nowMs;
          nowMs += step.ranMs;
          const runner = reference.scheduler.current;
          // A hand-off goes to a sleeper; a wake may also attach a new entity.
          const candidates = reference.entities.filter(
            (e) => e.state === EntityState.sleeping || (step.kind !== 'hand-off' && e.state === EntityState.detached),
          );
          const target = candidates.length === 0 ? null : candidates[step.pick % candidates.length]!;
          const i = target?.owner ?? -1;
          if (step.kind === 'alone' && target !== null && runner === null && handing.scheduler.canHandOffTo(handing.entities[i]!)) {
            // An idle CPU's sleeper runs alone and sleeps again (an ask run alone): one call.
            alone++;
            reference.scheduler.handOff(null, target, turnStartMs);
            reference.scheduler.sleep(target, nowMs);
            const renormalizations = handing.scheduler.stats.renormalizations;
            handing.scheduler.chargeAlone(handing.entities[i]!, turnStartMs, nowMs);
            if (handing.scheduler.stats.renormalizations > renormalizations) renormalizedAlone++;
          } else if ((step.kind === 'hand-off' || step.kind === 'alone') && target !== null && handing.scheduler.canHandOffTo(handing.entities[i]!)) {
            // From the runner that woke it, or from the idle CPU.
            handOffs++;
            if (runner === null) fromIdle++;
            reference.scheduler.wake(target, turnStartMs);
            if (runner !== null) reference.scheduler.sleep(runner, nowMs);
            const expected = reference.scheduler.pickNext(nowMs)!;
            const renormalizations = handing.scheduler.stats.renormalizations;
            const turn = handing.scheduler.handOff(handing.scheduler.current, handing.entities[i]!, nowMs);
            if (handing.scheduler.stats.renormalizations > renormalizations) renormalizedHandOffs++;
            expect([turn.entity.owner, turn.switched, turn.sliceMs, turn.deadlineMs]).to.deep.equal([
              expected.entity.owner,
              expected.switched,
              expected.sliceMs,
              expected.deadlineMs,
            ]);
          } else if (runner === null) {
            // Nothing runs: wake one and start it, in both.
            if (target === null) continue;
            for (const t of [reference, handing]) {
              t.scheduler.wake(t.entities[i]!, nowMs);
              t.scheduler.pickNext(nowMs);
            }
          } else if (step.kind === 'wake' && target !== null) {
            for (const t of [reference, handing]) {
              t.scheduler.wake(t.entities[i]!, turnStartMs);
              t.scheduler.pickNext(nowMs);
            }
          } else if (step.kind !== 'keep') {
            // A sleep, or a hand-off the state does not allow: the runner sleeps, which empties the queue in time.
            for (const t of [reference, handing]) {
              t.scheduler.sleep(t.scheduler.current!, nowMs);
              t.scheduler.pickNext(nowMs);
            }
          } else {
            for (const t of [reference, handing]) t.scheduler.pickNext(nowMs);
          }
          expect(observe(handing)).to.deep.equal(observe(reference));
        }
        expect(handing.scheduler.clock).to.deep.equal(reference.scheduler.clock);
      }),
      // A fixed seed: which runs cross c's bound during a hand-off is then fixed too (checked below).
      { numRuns: 500, seed: 17 },
    );
    // The runs handed off, and some of them across a renormalisation.
    expect(handOffs).to.be.above(1_000);
    expect(fromIdle).to.be.above(500);

    expect(renormalizedHandOffs).to.be.above(0);
    expect(alone).to.be.above(200);
    expect(renormalizedAlone).to.be.above(0);
  });

  it('hands off only to a sleeper of its CPU, from a fair runner or the idle CPU, with nothing queued', () => {
    const scheduler = createCpuScheduler<string>();
    const a = createSchedEntity('a');
    const b = createSchedEntity('b');
    const irq = createSchedEntity('irq', { priority: priorityInfinity });
    expect(scheduler.canHandOffTo(b), 'nothing runs, and b is new').to.equal(false);
    // Each runs once and sleeps: all three are sleepers of this CPU.
    for (const [i, entity] of [a, b, irq].entries()) {
      scheduler.wake(entity, i);
      scheduler.pickNext(i);
      scheduler.sleep(entity, i + 0.5);
    }
    expect(scheduler.canHandOffTo(b), 'the CPU idles').to.equal(true);
    scheduler.wake(a, 3);
    scheduler.pickNext(3);
    expect(scheduler.canHandOffTo(b)).to.equal(true);
    expect(() => scheduler.handOff(null, b, 3), 'a runs').to.throw(/idle CPU/);
    scheduler.wake(irq, 3);
    expect(scheduler.canHandOffTo(b), 'irq is queued').to.equal(false);
    expect(() => scheduler.handOff(a, b, 3.1)).to.throw(/nothing queued/);
    scheduler.sleep(a, 3.1);
    expect(scheduler.pickNext(3.1)!.entity).to.equal(irq);
    expect(scheduler.canHandOffTo(b), 'a wake does not interrupt a real-time runner').to.equal(false);
    expect(() => scheduler.handOff(irq, b, 3.2)).to.throw(/fair runner/);
    scheduler.sleep(irq, 3.2);
    scheduler.wake(a, 3.2);
    scheduler.pickNext(3.2);
    const turn = scheduler.handOff(a, b, 3.3);
    expect([turn.entity, turn.switched, turn.sliceMs]).to.deep.equal([b, true, Number.POSITIVE_INFINITY]);
    expect([a.state, b.state, scheduler.load]).to.deep.equal([EntityState.sleeping, EntityState.running, 1]);
  });
});

type Msg = { readonly type: 'go' } | { readonly type: 'ping'; readonly n: number };

describe('fair dispatcher hand-offs (kernel on a simulated clock)', () => {
  it('keeps the order of wakes, in a turn or from outside: the first sleeper woken runs first', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
    const order: string[] = [];
    const spawnLogger = (name: string) => kernel.spawn(fromReceive<Msg>(() => void order.push(name)));
    const b = spawnLogger('b');
    const c = spawnLogger('c');
    const a = kernel.spawn(
      fromReceive<Msg>(() => {
        b.tell({ type: 'ping', n: 1 });
        c.tell({ type: 'ping', n: 2 });
      }),
    );
    // Each runs once, so each is a sleeper of the CPU: the wakes below may be kept aside.
    for (const ref of [b, c, a]) ref.tell({ type: 'ping', n: 0 });
    await kernel.simulatedClock.runUntilIdle();
    order.length = 0;
    a.tell({ type: 'go' });
    await kernel.simulatedClock.runUntilIdle();
    expect(order).to.deep.equal(['b', 'c']);
    // So do wakes from outside on an idle CPU: the first is kept aside for the drain, the second
    // puts it in the queue before itself.
    order.length = 0;
    c.tell({ type: 'ping', n: 3 });
    b.tell({ type: 'ping', n: 4 });
    await kernel.simulatedClock.runUntilIdle();
    expect(order).to.deep.equal(['c', 'b']);
    await shutdown(kernel);
  });

  it('shows a sleeper woken in this turn to the scheduler read in the same turn, and loses no message to a stop', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
    const dispatcher = kernel.core.dispatcher as FairDispatcher;
    const deadLetters = collectDeadLetters(kernel);
    let received = 0;
    const sleeper = kernel.spawn(fromReceive<Msg>(() => void received++));
    let loadSeen = -1;
    const waker = kernel.spawn(
      fromReceive<Msg>((message) => {
        if (message.type === 'go') {
          sleeper.tell({ type: 'ping', n: 1 });
          // The waker runs, and the sleeper it woke waits for the CPU.
          loadSeen = dispatcher.scheduler.load;
        } else if (message.n === 2) {
          // Woken, kept aside, then stopped in the same turn: it is handed the CPU, and its turn
          // takes the stop first.
          sleeper.tell({ type: 'ping', n: 2 });
          void kernel.stop(sleeper);
        }
      }),
    );
    for (const ref of [sleeper, waker]) ref.tell({ type: 'ping', n: 0 });
    await kernel.simulatedClock.runUntilIdle();
    waker.tell({ type: 'go' });
    await kernel.simulatedClock.runUntilIdle();
    expect([loadSeen, received]).to.deep.equal([2, 2]);
    waker.tell({ type: 'ping', n: 2 });
    await kernel.simulatedClock.runUntilIdle();
    // Its message is a dead letter, not lost.
    expect(received).to.equal(2);
    expect(deadLetters.map((letter) => letter.message)).to.deep.equal([{ type: 'ping', n: 2 }]);
    expect(dispatcher.scheduler.load).to.equal(0);
    await shutdown(kernel);
  });

  it('plays ping-pong by hand-offs, through drains that end on their budget, switching once per message', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, simulatedCostMs: 0.001 });
    const dispatcher = kernel.core.dispatcher as FairDispatcher;
    // 5 ms of messages: drains end on their 2 ms budget with a hand-off pending, which then goes
    // through the queue.
    const rounds = 5_000;
    const scheduler = dispatcher.scheduler;
    const handOff = scheduler.handOff.bind(scheduler);
    let handOffs = 0;
    scheduler.handOff = (from, to, nowMs) => {
      handOffs++;
      return handOff(from, to, nowMs);
    };
    let last = -1;
    let handled = 0;
    let ponger: ActorRef<Msg> | null = null;
    const pinger = kernel.spawn(
      fromReceive<Msg>((message) => {
        handled++;
        if (message.type === 'ping' && message.n < rounds) ponger!.tell({ type: 'ping', n: message.n + 1 });
        else if (message.type === 'ping') last = message.n;
      }),
    );
    ponger = kernel.spawn(
      fromReceive<Msg>((message) => {
        handled++;
        if (message.type === 'ping') pinger.tell({ type: 'ping', n: message.n + 1 });
      }),
    );
    await kernel.simulatedClock.runUntilIdle();
    handled = 0;
    const before = { ...dispatcher.scheduler.stats };
    const latencyBefore = dispatcher.wakeLatency.count;
    pinger.tell({ type: 'ping', n: 0 });
    await kernel.simulatedClock.runUntilIdle();
    expect([last, handled]).to.deep.equal([rounds, rounds + 1]);
    const stats = dispatcher.scheduler.stats;
    // Every message is a turn of its own, switched in once, and its wake latency is recorded.
    expect(stats.switches - before.switches).to.equal(handled);
    expect(stats.preemptions - before.preemptions).to.equal(0);
    expect(dispatcher.wakeLatency.count - latencyBefore).to.equal(handled);
    // Each waited for the rest of the waker's turn, one message of 1 µs, whichever way it came in:
    // 1 or 2 µs between stamps truncated to whole µs, in the bucket up to 4.
    expect(dispatcher.wakeLatency.snapshot().maxUs).to.be.at.most(4);
    expect(dispatcher.scheduler.load).to.equal(0);
    // Nearly every switch was a hand-off; those at a drain's end went through the queue.
    expect(handOffs).to.be.above(0.99 * handled);
    expect(handOffs).to.be.below(handled - 2);
    await shutdown(kernel);
  });
});
