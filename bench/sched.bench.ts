// The fair scheduler (actors/sched): what a scheduling decision costs next to the FIFO dispatcher
// queue it replaces, and how fair it is.
//
// Cases (each figure the median of 5 timed repetitions after a warm-up, harness.ts):
// 1. cost of one pick+charge cycle with 1, 100 and 10 000 runnable entities: equal hogs, each turn
//    running to its deadline so every pick switches (the worst case: a heap pop and an insert per
//    pick, plus exp/log for the charge and the slice). Baseline, interleaved in the same process: a
//    FIFO ring queue (the dispatcher's BoundedQueue) shift + push per turn. Ratio = sched ns / FIFO ns.
//    Then the common actor pattern, 100 actors with turns of one message each (pick, sleep, wake:
//    no preemption, the woken actor queues behind the others by its runtime).
// 2. scheduling overhead per message in a dispatcher-shaped loop: 100 equal hogs, messages of 10 µs
//    of simulated CPU, a preemption check between messages and a pick per turn; baseline: the FIFO
//    dispatcher's loop (100-message batches, shift + push per turn). The handlers do no work, so
//    this is all overhead.
// 3. Jain's fairness index of 8 equal hogs over 60 s of simulated time, message costs drawn from
//    [0.02, 1) ms (one seed per repetition). Goal ≥ 0.99. Informational: the worst share error of
//    priorities 1, 1.5, 2 (1/p weights) over the same run length.
//
// About 10 s.

import { createCpuScheduler, createSchedEntity, type CpuScheduler, type SchedEntity } from '../actors/sched/index.js';
import { BoundedQueue } from '../ground/bounded-queue.js';
import { emit, emitRatio, measureRate, quantile } from './harness.js';
import { createSeededRandom } from '../drivers/random/seeded.js';

const CYCLES = 400_000;
const MESSAGES = 4_000_000;
const SIM_MS = 60_000;
const REPS = 5;

let sink = 0;

// ---------------------------------------------------------------------------------------------
// 1. pick+charge cycle

interface Hog {
  readonly id: number;
}

function loadedScheduler(count: number): { scheduler: CpuScheduler<Hog>; nowMs: number } {
  const scheduler = createCpuScheduler<Hog>();
  for (let id = 0; id < count; id++) scheduler.wake(createSchedEntity({ id }), 0);
  return { scheduler, nowMs: 0 };
}

function schedCycles(state: { scheduler: CpuScheduler<Hog>; nowMs: number }, cycles: number): number {
  const { scheduler } = state;
  let nowMs = state.nowMs;
  for (let i = 0; i < cycles; i++) {
    const turn = scheduler.pickNext(nowMs)!;
    sink += turn.entity.owner.id;
    // Run to the end of the slice (alone: a fixed 10 ms), so the next pick switches when it can.
    nowMs += turn.sliceMs === Number.POSITIVE_INFINITY ? 10 : turn.sliceMs;
  }
  state.nowMs = nowMs;
  return cycles;
}

function fifoCycles(queue: BoundedQueue<Hog>, cycles: number): number {
  for (let i = 0; i < cycles; i++) {
    const hog = queue.shift();
    sink += hog.id;
    queue.push(hog);
  }
  return cycles;
}

function cycleCost(count: number): void {
  const state = loadedScheduler(count);
  const queue = new BoundedQueue<Hog>(1 << 20, 16);
  for (let id = 0; id < count; id++) queue.push({ id });
  // Interleaved: each repetition of one is followed by one of the other, so drift hits both.
  const fifo = measureRate({ name: `FIFO ring queue shift+push, ${count} runnable`, unit: 'cycles/s', reps: REPS, run: () => fifoCycles(queue, CYCLES) });
  const sched = measureRate({ name: `sched pickNext (switching), ${count} runnable`, unit: 'cycles/s', reps: REPS, run: () => schedCycles(state, CYCLES) });
  emit(fifo, { n: CYCLES, nsPerCycle: 1e9 / fifo.median });
  emit(sched, {
    n: CYCLES,
    nsPerCycle: 1e9 / sched.median,
    switches: state.scheduler.stats.switches,
    renormalizations: state.scheduler.stats.renormalizations,
  });
  emitRatio({ name: `sched cycle cost / FIFO cycle cost, ${count} runnable`, numerator: fifo, denominator: sched, goalKind: 'max' });
}

/** The common actor pattern: a turn of one message, then the actor sleeps and a new message wakes it. */
function schedOneMessageTurns(state: { scheduler: CpuScheduler<Hog>; nowMs: number }, cycles: number): number {
  const { scheduler } = state;
  let nowMs = state.nowMs;
  for (let i = 0; i < cycles; i++) {
    const turn = scheduler.pickNext(nowMs)!;
    const entity = turn.entity;
    sink += entity.owner.id;
    nowMs += 0.002; // a 2 µs message
    scheduler.sleep(entity, nowMs);
    scheduler.wake(entity, nowMs);
  }
  state.nowMs = nowMs;
  return cycles;
}

function oneMessageTurns(count: number): void {
  const state = loadedScheduler(count);
  const queue = new BoundedQueue<Hog>(1 << 20, 16);
  for (let id = 0; id < count; id++) queue.push({ id });
  const fifo = measureRate({
    name: `FIFO ring queue shift+push, ${count} actors, 1-message turns`,
    unit: 'turns/s',
    reps: REPS,
    run: () => fifoCycles(queue, CYCLES),
  });
  const sched = measureRate({
    name: `sched pick+sleep+wake, ${count} actors, 1-message turns`,
    unit: 'turns/s',
    reps: REPS,
    run: () => schedOneMessageTurns(state, CYCLES),
  });
  emit(fifo, { n: CYCLES, nsPerTurn: 1e9 / fifo.median });
  emit(sched, { n: CYCLES, nsPerTurn: 1e9 / sched.median });
  emitRatio({ name: `sched turn cost / FIFO turn cost, ${count} actors, 1-message turns`, numerator: fifo, denominator: sched, goalKind: 'max' });
}

// ---------------------------------------------------------------------------------------------
// 2. per-message overhead in a dispatcher-shaped loop

const BATCH = 100;
const MESSAGE_MS = 0.01;

function schedMessages(state: { scheduler: CpuScheduler<Hog>; nowMs: number }, messages: number): number {
  const { scheduler } = state;
  let nowMs = state.nowMs;
  let done = 0;
  while (done < messages) {
    const turn = scheduler.pickNext(nowMs)!;
    sink += turn.entity.owner.id;
    for (let handled = 1; ; handled++) {
      nowMs += MESSAGE_MS; // the message "ran" for 10 µs
      done++;
      if (scheduler.turnOver(nowMs, handled)) break;
    }
  }
  state.nowMs = nowMs;
  return done;
}

function fifoMessages(queue: BoundedQueue<Hog>, messages: number): number {
  let done = 0;
  while (done < messages) {
    const hog = queue.shift();
    sink += hog.id;
    for (let handled = 1; ; handled++) {
      done++;
      if (handled >= BATCH) break;
    }
    queue.push(hog);
  }
  return done;
}

function messageOverhead(): void {
  const count = 100;
  const state = loadedScheduler(count);
  const queue = new BoundedQueue<Hog>(1 << 20, 16);
  for (let id = 0; id < count; id++) queue.push({ id });
  const fifo = measureRate({
    name: 'FIFO dispatcher loop, 100 hogs, 100-message batches',
    unit: 'msg/s',
    reps: REPS,
    run: () => fifoMessages(queue, MESSAGES),
  });
  const switchesBefore = state.scheduler.stats.switches;
  const sched = measureRate({ name: 'sched dispatcher loop, 100 hogs, 10 µs messages', unit: 'msg/s', reps: REPS, run: () => schedMessages(state, MESSAGES) });
  const turns = state.scheduler.stats.switches - switchesBefore;
  emit(fifo, { n: MESSAGES, nsPerMessage: 1e9 / fifo.median });
  emit(sched, { n: MESSAGES, nsPerMessage: 1e9 / sched.median, messagesPerSwitch: Math.round(((REPS + 1) * MESSAGES) / turns) });
  emitRatio({ name: 'sched per-message cost / FIFO per-message cost (no handler work)', numerator: fifo, denominator: sched, goalKind: 'max' });
  process.stderr.write(`sched: overhead ${(1e9 / sched.median - 1e9 / fifo.median).toFixed(1)} ns per message over FIFO\n`);
}

// ---------------------------------------------------------------------------------------------
// 3. fairness

/** CPU ms of each hog over [2 s, SIM_MS): the dispatcher's loop on a simulated clock. */
function simulatedShares(priorities: readonly number[], seed: number): number[] {
  const generator = createSeededRandom(seed);
  const random = (): number => generator.next();
  const scheduler = createCpuScheduler<number>();
  const entities: SchedEntity<number>[] = priorities.map((priority, i) => createSchedEntity(i, { priority }));
  for (const entity of entities) scheduler.wake(entity, 0);
  const cpuMs = new Float64Array(priorities.length);
  let nowMs = 0;
  while (nowMs < SIM_MS) {
    const turn = scheduler.pickNext(nowMs)!;
    for (let handled = 1; ; handled++) {
      const cost = 0.02 + 0.98 * random();
      if (nowMs >= 2_000) cpuMs[turn.entity.owner] += cost;
      nowMs += cost;
      if (scheduler.turnOver(nowMs, handled)) break;
    }
  }
  return [...cpuMs];
}

function jain(xs: readonly number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  return (sum * sum) / (xs.length * xs.reduce((a, b) => a + b * b, 0));
}

function summary(
  name: string,
  unit: string,
  values: number[],
): { name: string; unit: string; values: number[]; median: number; min: number; max: number; reps: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { name, unit, values, median: quantile(sorted, 0.5), min: sorted[0]!, max: sorted[sorted.length - 1]!, reps: values.length };
}

function fairness(): void {
  const indexes: number[] = [];
  const errors: number[] = [];
  const weighted = [1, 1.5, 2];
  for (let seed = 1; seed <= REPS; seed++) {
    indexes.push(jain(simulatedShares([1, 1, 1, 1, 1, 1, 1, 1], seed)));
    const shares = simulatedShares(weighted, seed);
    const total = shares.reduce((a, b) => a + b, 0);
    const weightTotal = weighted.reduce((a, p) => a + 1 / p, 0);
    errors.push(Math.max(...shares.map((ms, i) => Math.abs(ms / total / (1 / weighted[i]! / weightTotal) - 1))));
  }
  const index = summary("Jain's fairness index, 8 equal hogs, 60 s simulated", 'index', indexes);
  emit(index, { goal: 0.99, goalKind: 'min', met: index.min >= 0.99 });
  emit(summary('worst share error vs 1/p weights, priorities 1, 1.5, 2, 60 s simulated', 'fraction', errors), {
    goal: 0.05,
    goalKind: 'max',
    met: Math.max(...errors) <= 0.05,
  });
}

export async function run(): Promise<void> {
  for (const count of [1, 100, 10_000]) cycleCost(count);
  oneMessageTurns(100);
  messageOverhead();
  fairness();
  if (sink === 0.5) process.stderr.write('unreachable\n');
}
