// The fault-injection harness (sim/): how fast simulated time runs, how many deliveries a simulated
// kernel makes per wall second, and how many seeds per hour a campaign gets through.
//
// Cases (each figure the median of 5 repetitions after a warm-up, harness.ts):
// 1. idle-heavy: an actor that wakes on a 100 ms timer for a simulated hour, nothing else; the
//    figure is simulated seconds per wall second (goal ≥ 1000).
// 2. message-heavy: two actors playing ping-pong by tell on a simulated kernel, 200 000 deliveries;
//    the figure is deliveries per wall second (goal ≥ 1 M/s).
// 3. a campaign of the lost-update counter's fixed version (test/sim/fixtures/examples.ts): seeds per hour.
// About 20 s.

import { type ActorRef, type Ask, fromSetup, Kernel } from '../boot/index.js';
import { runCampaign, runScenario, scenario } from '../sim/index.js';
import { atomicCounter } from '../test/sim/fixtures/examples.js';
import { emit, emitRatio, measureRateAsync } from './harness.js';

const REPS = 5;
const IDLE_HOUR_MS = 3_600_000;
const TICK_MS = 100;
const DELIVERIES = 200_000;
const CAMPAIGN_SEEDS = 50;

type TickerMsg = { readonly type: 'tick' } | Ask<{ readonly type: 'ticks' }, number>;

const Ticker = fromSetup<TickerMsg>(() => {
  let ticks = 0;
  return {
    started(ctx) {
      ctx.startTimer('tick', TICK_MS, { type: 'tick' });
    },
    receive(message, ctx) {
      if (message.type === 'ticks') return ctx.reply(message, ticks);
      ticks++;
      ctx.startTimer('tick', TICK_MS, { type: 'tick' });
    },
  };
}, 'Ticker');

const idleHour = scenario({
  name: 'idle hour',
  setup: (kernel: Kernel) => kernel.spawn(Ticker),
  async workload(_kernel, sim) {
    await sim.sleep(IDLE_HOUR_MS);
  },
  invariants: {
    'it ticked all along': async (_kernel, _sim, ticker: ActorRef<TickerMsg>) => (await ticker.ask({ type: 'ticks' })) >= IDLE_HOUR_MS / TICK_MS - 1,
  },
});

type BallMsg = { readonly type: 'ball'; readonly left: number; readonly to: ActorRef<BallMsg> } | Ask<{ readonly type: 'done' }, number>;

async function pingPong(): Promise<number> {
  const kernel = await Kernel.boot({ mode: 'simulated', seed: 1 });
  let finished: (value: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finished = resolve));
  const Player = fromSetup<BallMsg>(
    () => ({
      receive(message, ctx) {
        if (message.type !== 'ball') return;
        if (message.left === 0) finished(DELIVERIES);
        else message.to.tell({ type: 'ball', left: message.left - 1, to: ctx.self });
      },
    }),
    'Player',
  );
  const a = kernel.spawn(Player);
  const b = kernel.spawn(Player);
  a.tell({ type: 'ball', left: DELIVERIES - 1, to: b });
  const delivered = await kernel.runUntil(done);
  await kernel.runUntil(kernel.shutdown());
  return delivered;
}

export async function run(): Promise<void> {
  const idle = await measureRateAsync({
    name: 'simulated seconds per wall second, an actor on a 100 ms timer for a simulated hour',
    unit: 'simulated s/s',
    reps: REPS,
    run: async () => {
      const result = await runScenario(idleHour, { seed: 1 });
      if (!result.ok) throw new Error('the idle scenario failed');
      return result.simulatedMs / 1000;
    },
  });
  const deliveries = await measureRateAsync({
    name: 'deliveries per wall second on a simulated kernel, ping-pong by tell',
    unit: 'deliveries/s',
    reps: REPS,
    run: pingPong,
  });
  let firstSeed = 0;
  const seeds = await measureRateAsync({
    name: 'seeds per second, a campaign of the atomic counter scenario',
    unit: 'seeds/s',
    reps: REPS,
    run: async () => {
      const summary = await runCampaign(atomicCounter, { seeds: CAMPAIGN_SEEDS, firstSeed });
      firstSeed += CAMPAIGN_SEEDS;
      if (summary.failed !== null) throw new Error('the atomic counter failed');
      return summary.runs;
    },
  });
  for (const result of [idle, deliveries, seeds]) emit(result);
  emitRatio({ name: 'simulated time / wall time, idle-heavy', numerator: idle, denominator: 1, goal: 1000, goalKind: 'min' });
  emitRatio({
    name: 'simulated deliveries per wall second, message-heavy (millions)',
    numerator: deliveries.median / 1e6,
    denominator: 1,
    goal: 1,
    goalKind: 'min',
  });
  emitRatio({ name: 'seeds per hour, atomic counter campaign', numerator: seeds.median * 3600, denominator: 1, goalKind: 'min' });
}
