/**
 * The fair scheduler driving a real kernel (simulated clock, `simulatedCostMs` for CPU time): the
 * properties of fairness.test.ts, now through spawn, tell and the dispatcher's turns.
 */
import { expect } from 'chai';
import { fromReceive } from '../../../actors/runtime/behavior.js';
import { Kernel } from '../../../boot/kernel.js';
import type { ActorRef } from '../../../actors/runtime/ref.js';
import type { FairDispatcher } from '../../../actors/sched/fair-dispatcher.js';
import { schedLimits } from '../../../actors/sched/index.js';
import type { CpuState } from '../../../actors/sched/cpu-state.js';
import { DrainLimit } from '../../../actors/runtime/limits.js';
import { shutdown } from '../../helpers/kernel.js';

type HogMsg = { readonly type: 'spin' };

/** Every message costs this much virtual CPU time. */
const costMs = 0.05;

interface Hog {
  readonly ref: ActorRef<HogMsg>;
  /** Messages handled at or after `countFromMs`. */
  handled: number;
}

/** A CPU-bound actor: each message tells itself the next one, so it is always runnable. */
function spawnHog(kernel: Kernel, log: Hog[] | null, countFromMs: number, priority?: number): Hog {
  const hog: Hog = { ref: undefined as never, handled: 0 };
  const behavior = fromReceive<HogMsg>((_message, ctx) => {
    if (kernel.clock.now() >= countFromMs) hog.handled++;
    log?.push(hog);
    ctx.self.tell({ type: 'spin' });
  });
  (hog as { ref: ActorRef<HogMsg> }).ref = kernel.spawn(behavior, priority === undefined ? undefined : { priority });
  hog.ref.tell({ type: 'spin' });
  return hog;
}

function bootCostly(): Promise<Kernel> {
  return Kernel.boot({ mode: 'simulated', seed: 1, simulatedCostMs: costMs });
}

describe('fair dispatcher (kernel on a simulated clock)', function () {
  this.timeout(30_000);

  it('reports its CPU idle after a drain that ran out of time with nothing left to run', async () => {
    // Each message costs more than a drain may last: the drain ends at its time limit, dry.
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, simulatedCostMs: DrainLimit.msMax + 1 });
    const worker = kernel.spawn(fromReceive<{ readonly type: 'work' }>(() => {}));
    const cpuState = (kernel.core.dispatcher as FairDispatcher).listener as CpuState;
    await kernel.simulatedClock.advance(1);
    const drains = cpuState.entered.running;
    worker.tell({ type: 'work' });
    await kernel.simulatedClock.advance(10);
    expect(cpuState.entered.running - drains, 'one drain').to.equal(1);
    expect(cpuState.value, 'and the CPU idle after it').to.equal('idlePolling');
    await shutdown(kernel);
  });

  it('gives hogs with priorities 1, 1.5 and 2 CPU shares within ±5 % of the 1/p weights', async () => {
    const kernel = await bootCostly();
    const priorities = [1, 1.5, 2];
    const warmUpMs = 2_000;
    const hogs = priorities.map((priority) => spawnHog(kernel, null, warmUpMs, priority));
    await kernel.simulatedClock.advance(20_000);
    const total = hogs.reduce((sum, hog) => sum + hog.handled, 0);
    const weights = priorities.map((p) => 1 / p);
    const weightTotal = weights.reduce((sum, w) => sum + w, 0);
    const errors = hogs.map((hog, i) => hog.handled / total / (weights[i]! / weightTotal) - 1);
    for (const error of errors) expect(Math.abs(error)).to.be.below(0.05);
    // All of the CPU went to the hogs: 18 s of messages at 0.05 ms each.
    expect(total).to.be.within(359_000, 361_000);
    await shutdown(kernel);
  });

  it('alternates two equal hogs every 2·hysteresis (10 ms), not every message batch', async () => {
    const kernel = await bootCostly();
    const log: Hog[] = [];
    spawnHog(kernel, log, 0);
    spawnHog(kernel, log, 0);
    await kernel.simulatedClock.advance(2_000);
    // Runs of consecutive messages by one hog, after a warm-up second.
    const runs: number[] = [];
    let length = 0;
    for (let i = 20_000; i < log.length; i++) {
      length++;
      if (log[i + 1] !== log[i]) {
        runs.push(length * costMs);
        length = 0;
      }
    }
    // The first and last runs are cut off by the window.
    runs.shift();
    runs.pop();
    expect(runs.length).to.be.above(50);
    const { hysteresisMs } = schedLimits;
    for (const runMs of runs) expect(runMs).to.be.within(2 * hysteresisMs * 0.9, 2 * hysteresisMs * 1.15);
    await shutdown(kernel);
  });

  it('gives a newly woken actor the CPU at the next message boundary against a hog', async () => {
    const kernel = await bootCostly();
    spawnHog(kernel, null, 0);
    const handledAt: number[] = [];
    const sleeper = kernel.spawn(fromReceive<{ type: 'wake'; sentAtMs: number }>((message) => void handledAt.push(kernel.clock.now() - message.sentAtMs)));
    for (const atMs of [500, 1_000, 1_500]) kernel.clock.setTimer(atMs, () => sleeper.tell({ type: 'wake', sentAtMs: kernel.clock.now() }));
    await kernel.simulatedClock.advance(2_000);
    expect(handledAt).to.have.length(3);
    // The hog's message in progress finishes (one cost), then the sleeper's runs (another).
    for (const latencyMs of handledAt) expect(latencyMs).to.be.at.most(2 * costMs + 1e-9);
    const stats = (kernel.core.dispatcher as FairDispatcher).wakeLatency.snapshot();
    expect(stats.count).to.be.at.least(3);
    expect(stats.maxUs).to.be.at.most(128);
    await shutdown(kernel);
  });

  for (const queued of [true, false]) {
    it(`switches to a woken actor that outranks the runner after the message that woke it, in a turn of a few messages too (${queued ? 'through the run queue' : 'handed the CPU'})`, async () => {
      // 0.01 ms a message: a turn of three fits in the shortest slice, where a wake that heads the
      // queue but not the runner leaves the turn going (a reschedule would keep the runner).
      const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, simulatedCostMs: 0.01 });
      const order: string[] = [];
      if (queued) {
        // Always runnable and never ahead of a fair actor: the queue is never empty, so the wake goes through it.
        const background = kernel.spawn(
          fromReceive<HogMsg>((_message, ctx) => void ctx.self.tell({ type: 'spin' })),
          { priority: 'idle' },
        );
        background.tell({ type: 'spin' });
      }
      // It runs once at the start, then sleeps: its runtime stays near 0.
      const sleeper = kernel.spawn(fromReceive<{ type: 'go' }>(() => void order.push('sleeper')));
      sleeper.tell({ type: 'go' });
      type WorkMsg = HogMsg | { readonly type: 'work'; readonly n: number };
      const runner = kernel.spawn(
        fromReceive<WorkMsg>((message, ctx) => {
          // 50 ms of spinning: a runtime well above the credit of a switch-in, and a learned cost.
          if (message.type === 'spin') {
            if (kernel.clock.now() < 50) ctx.self.tell({ type: 'spin' });
            return;
          }
          order.push(`work ${message.n}`);
          if (message.n === 1) sleeper.tell({ type: 'go' });
        }),
      );
      runner.tell({ type: 'spin' });
      kernel.clock.setTimer(60, () => {
        for (const n of [1, 2, 3]) runner.tell({ type: 'work', n });
      });
      await kernel.simulatedClock.advance(70);
      expect(order).to.deep.equal(['sleeper', 'work 1', 'sleeper', 'work 2', 'work 3']);
      await shutdown(kernel);
    });
  }

  it('weighs a wake from the system lane at a turn’s start against the runner, whatever the turn before was', async () => {
    // The runner's turn before is short (two messages). Its next turn starts with an item of its
    // system lane that wakes a sleeper the runner outranks by a little: the runner keeps the CPU
    // for the slice that brings it level with the sleeper, not for a whole batch of 100.
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1, simulatedCostMs: 0.01 });
    let handled = 0;
    let pokedAfter = -1;
    type SleeperMsg = HogMsg | { readonly type: 'poke' };
    const sleeper = kernel.spawn(
      fromReceive<SleeperMsg>((message, ctx) => {
        // 6 ms of spinning: a runtime a little above the runner's once it has spun 10 ms (with its credit).
        if (message.type === 'spin') {
          if (kernel.clock.now() < 6) ctx.self.tell({ type: 'spin' });
        } else pokedAfter = handled;
      }),
    );
    type RunnerMsg = HogMsg | { readonly type: 'short' | 'batch' | 'work' };
    const runner = kernel.spawn(
      fromReceive<RunnerMsg>((message, ctx) => {
        if (message.type === 'spin' && kernel.clock.now() < 30) ctx.self.tell({ type: 'spin' });
        if (message.type === 'batch') {
          kernel.core.runInTurnOf(ctx.self, () => sleeper.tell({ type: 'poke' }));
          for (let i = 0; i < 150; i++) ctx.self.tell({ type: 'work' });
        }
        if (message.type === 'work') handled++;
      }),
    );
    sleeper.tell({ type: 'spin' });
    kernel.clock.setTimer(20, () => runner.tell({ type: 'spin' }));
    kernel.clock.setTimer(40, () => {
      runner.tell({ type: 'short' });
      runner.tell({ type: 'batch' });
    });
    await kernel.simulatedClock.advance(60);
    expect(handled).to.equal(150);
    expect(pokedAfter).to.be.within(1, schedLimits.turnMessagesMax - 1);
    await shutdown(kernel);
  });

  it('runs real-time actors before fair ones, and idle ones only when nothing else can run', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
    const order: string[] = [];
    const make = (label: string, priority: number | 'realtime' | 'idle') =>
      kernel.spawn(
        fromReceive<{ type: 'go' }>(() => void order.push(label)),
        { priority },
      );
    const idle = make('idle', 'idle');
    const fair = make('fair', 1);
    const realtime = make('realtime', 'realtime');
    idle.tell({ type: 'go' });
    fair.tell({ type: 'go' });
    realtime.tell({ type: 'go' });
    await kernel.simulatedClock.advance(0);
    expect(order).to.deep.equal(['realtime', 'fair', 'idle']);
    await shutdown(kernel);
  });

  it('refuses priorities outside every band at spawn time, with a RangeError', async () => {
    const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
    const behavior = fromReceive<{ type: 'go' }>(() => {});
    for (const priority of [0, -1, 1e6, Number.NaN, 'high' as never]) {
      expect(() => kernel.spawn(behavior, { priority })).to.throw(RangeError, /priority/);
    }
    expect(() => kernel.spawn(behavior, { priority: 0.5 })).not.to.throw();
    expect(() => kernel.spawn(behavior, { pinned: 'yes' as never })).to.throw(TypeError, /pinned/);
    await shutdown(kernel);
  });

  it('refuses simulated costs on a real clock and unknown schedulers', async () => {
    try {
      await Kernel.boot({ simulatedCostMs: 1 });
      expect.fail('booted');
    } catch (error) {
      expect(error)
        .to.be.instanceOf(TypeError)
        .with.property('message')
        .that.matches(/simulated clock/);
    }
    try {
      await Kernel.boot({ mode: 'simulated', scheduler: 'lottery' as never });
      expect.fail('booted');
    } catch (error) {
      expect(error)
        .to.be.instanceOf(RangeError)
        .with.property('message')
        .that.matches(/fair.*fifo/);
    }
  });
});
