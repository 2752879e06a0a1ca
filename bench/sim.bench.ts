// The fault-injection harness (sim/): how fast simulated time runs, how many deliveries a simulated
// kernel makes per wall second, and how many seeds per hour a campaign gets through.
//
// Cases (each figure the median of 5 repetitions after a warm-up, harness.ts):
// 1. idle-heavy: an actor that wakes on a 100 ms timer for a simulated hour, nothing else; the
//    figure is simulated seconds per wall second (goal ≥ 1000).
// 2. message-heavy: two actors playing ping-pong by tell on a simulated kernel, 200 000 deliveries;
//    the figure is deliveries per wall second (goal ≥ 1 M/s).
// 3. the known bugs of examples/sim: for each, the seed that finds it and its faults and draws before
//    and after shrinking (exact figures, not timed), and seeds per hour of a campaign of its fix.
// About 30 s.

import { type ActorRef, type Ask, fromSetup, Kernel } from '../boot/index.js';
import bank, { fixed as idempotentBank } from '../examples/sim/bank.sim.js';
import lostUpdateCounter, { fixed as atomicCounter } from '../examples/sim/counter.sim.js';
import eagerSupervisor, { fixed as patientSupervisor } from '../examples/sim/eager-supervisor.sim.js';
import clockLease, { fixed as fencedLease } from '../examples/sim/lease.sim.js';
import { runCampaign, runScenario, type Scenario, scenario, shrinkFaults, shrinkTape } from '../sim/index.js';
import { emit, emitRatio, measureRateAsync, printLine } from './harness.js';

const REPS = 5;
const IDLE_HOUR_MS = 3_600_000;
const TICK_MS = 100;
const DELIVERIES = 200_000;
/** Seeds a campaign of an example's fix runs per repetition. */
const EXAMPLE_SEEDS = 20;

const examples: readonly { readonly module: string; readonly buggy: Scenario<never>; readonly fixed: Scenario<never> }[] = [
  { module: 'counter.sim', buggy: lostUpdateCounter as Scenario<never>, fixed: atomicCounter as Scenario<never> },
  { module: 'bank.sim', buggy: bank as Scenario<never>, fixed: idempotentBank as Scenario<never> },
  { module: 'eager-supervisor.sim', buggy: eagerSupervisor as Scenario<never>, fixed: patientSupervisor as Scenario<never> },
  { module: 'lease.sim', buggy: clockLease as Scenario<never>, fixed: fencedLease as Scenario<never> },
];

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
  for (const result of [idle, deliveries]) emit(result);
  emitRatio({ name: 'simulated time / wall time, idle-heavy', numerator: idle, denominator: 1, goal: 1000, goalKind: 'min' });
  emitRatio({
    name: 'simulated deliveries per wall second, message-heavy (millions)',
    numerator: deliveries.median / 1e6,
    denominator: 1,
    goal: 1,
    goalKind: 'min',
  });
  for (const example of examples) await knownBug(example);
}

/** How an example's bug is found and shrunk (exact figures), and how fast its fix's campaign runs. */
async function knownBug({ module, buggy, fixed }: (typeof examples)[number]): Promise<void> {
  const found = (await runCampaign(buggy, { seeds: 1_000 })).failed;
  if (found === null) throw new Error(`${module}: no seed of 1 000 found the bug`);
  const faults = await shrinkFaults(buggy, found.seed);
  const tape = await shrinkTape(buggy, found.seed, faults.plan);
  printLine({
    bench: 'sim',
    name: `examples/sim/${module}: the bug found and shrunk`,
    unit: 'exact',
    seedsToFind: found.seed + 1,
    faults: found.faults.length,
    faultsShrunk: faults.plan.length,
    shrunkFaults: faults.result.faultsText,
    draws: tape.draws,
    drawsShrunk: tape.drawsChanged,
    shrinkRuns: faults.runs + tape.runs,
  });
  let firstSeed = 0;
  const rate = await measureRateAsync({
    name: `seeds per second, a campaign of examples/sim/${module}'s fix`,
    unit: 'seeds/s',
    reps: REPS,
    run: async () => {
      const summary = await runCampaign(fixed, { seeds: EXAMPLE_SEEDS, firstSeed });
      firstSeed += EXAMPLE_SEEDS;
      if (summary.failed !== null) throw new Error(`${module}'s fix failed at seed ${summary.failed.seed}`);
      return summary.runs;
    },
  });
  emit(rate, { seedsPerHour: Math.round(rate.median * 3600) });
}
