/**
 * A simulated CPU for the scheduler tests: the dispatcher's loop (pickNext, messages until the turn
 * is over, pickNext again) on a time variable instead of a clock. Each message of an entity costs
 * what its `costMs` says; hogs always have another message. Deterministic: randomness comes from a
 * seeded generator.
 */
import type { CpuScheduler, SchedEntity } from '../../../actors/sched/index.js';
import { createSeededRandom } from '../../../drivers/random/seeded.js';

export interface SimActor {
  /** CPU time of the next message, in ms. */
  costMs(): number;
  /** Messages left; `Infinity` for a hog. When it reaches 0 the actor sleeps. */
  pending: number;
}

export interface Slice {
  readonly entity: SchedEntity<SimActor>;
  readonly startMs: number;
  readonly endMs: number;
  readonly messages: number;
}

export interface SimResult {
  /** CPU time each entity got inside the measured window. */
  readonly cpuMs: Map<SchedEntity<SimActor>, number>;
  /** Every stretch one entity ran without another in between (merged across kept turns). */
  readonly slices: Slice[];
  readonly nowMs: number;
  readonly messages: number;
}

export interface SimOptions {
  readonly startMs: number;
  readonly untilMs: number;
  /** CPU time before this is not counted in `cpuMs` (warm-up). Default: startMs. */
  readonly measureFromMs?: number;
  /** Called before every message with the current time (inject wakes here). */
  readonly beforeMessage?: (nowMs: number) => void;
  /** Keep slices (default true). */
  readonly recordSlices?: boolean;
}

/** Runs `scheduler` from `startMs` until `untilMs` (finishing the message in progress). */
export function simulate(scheduler: CpuScheduler<SimActor>, options: SimOptions): SimResult {
  const cpuMs = new Map<SchedEntity<SimActor>, number>();
  const slices: Slice[] = [];
  const measureFrom = options.measureFromMs ?? options.startMs;
  const record = options.recordSlices ?? true;
  let now = options.startMs;
  let messages = 0;
  let open: { entity: SchedEntity<SimActor>; startMs: number; messages: number } | null = null;
  const close = (): void => {
    if (open !== null && record) slices.push({ ...open, endMs: now });
    open = null;
  };
  while (now < options.untilMs) {
    options.beforeMessage?.(now);
    const turn = scheduler.pickNext(now);
    if (turn === null) {
      close();
      now += 1; // idle: nothing runnable, let time pass until the next injected wake
      continue;
    }
    const entity = turn.entity;
    if (open === null || open.entity !== entity) {
      close();
      open = { entity, startMs: now, messages: 0 };
    }
    for (let handled = 0; ; ) {
      const actor = entity.owner;
      const cost = actor.costMs();
      if (now >= measureFrom) cpuMs.set(entity, (cpuMs.get(entity) ?? 0) + cost);
      now += cost;
      actor.pending--;
      handled++;
      messages++;
      open.messages++;
      if (actor.pending <= 0) {
        scheduler.sleep(entity, now);
        close();
        break;
      }
      if (now >= options.untilMs) break;
      options.beforeMessage?.(now);
      if (scheduler.turnOver(now, handled)) break;
    }
  }
  close();
  return { cpuMs, slices, nowMs: now, messages };
}

/** A hog whose every message costs `costMs` (a number, or drawn from `random` in [min, max)). */
export function hog(cost: number | { min: number; max: number; random: () => number }): SimActor {
  const costMs = typeof cost === 'number' ? () => cost : () => cost.min + (cost.max - cost.min) * cost.random();
  return { costMs, pending: Number.POSITIVE_INFINITY };
}

/** Floats in [0, 1) from the kernel's seeded generator, for message costs. */
export function seededRandom(seed: number): () => number {
  const random = createSeededRandom(seed);
  return () => random.next();
}

/** Jain's fairness index of `xs`: (Σx)² / (n·Σx²), 1 when all are equal. */
export function jainIndex(xs: readonly number[]): number {
  let sum = 0;
  let squares = 0;
  for (const x of xs) {
    sum += x;
    squares += x * x;
  }
  return (sum * sum) / (xs.length * squares);
}
