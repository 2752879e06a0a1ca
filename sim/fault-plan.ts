/**
 * A run's faults, drawn from the seed before the run starts and printed with its result (swarm
 * testing: each seed gets its own mix, some none). So far: kills of the actors a scenario names
 * killable, at drawn times within the fault window. Drawn from their own random stream, so a
 * scenario's own draws never change the plan.
 *
 * @example
 * ```ts
 * const plan = drawFaultPlan(kernel.random.stream('sim.faults'), { killsMax: 2, windowMs: 500 });
 * // [{ kind: 'kill', atMs: 131, pick: 0.42 }]
 * ```
 */
import type { Random } from '../drivers/index.js';
import type { FaultOptions } from './scenario.js';

/** One fault: what, when (ms of virtual time after the workload began), and which target (a fraction of the candidates). */
export interface PlannedFault {
  readonly kind: 'kill';
  readonly atMs: number;
  readonly pick: number;
}

export const killsMaxDefault = 3;
export const faultWindowMsDefault = 1_000;

export function drawFaultPlan(random: Random, options: FaultOptions<unknown> | undefined): PlannedFault[] {
  if (options?.killable === undefined) return [];
  const kills = random.int((options.killsMax ?? killsMaxDefault) + 1);
  const windowMs = options.windowMs ?? faultWindowMsDefault;
  const plan: PlannedFault[] = [];
  for (let i = 0; i < kills; i++) plan.push({ kind: 'kill', atMs: random.int(windowMs), pick: random.next() });
  return plan.sort((a, b) => a.atMs - b.atMs);
}

/** A plan as one line, for the start of a run's report. */
export function describeFaultPlan(plan: readonly PlannedFault[]): string {
  return plan.length === 0 ? 'no faults' : plan.map((fault) => `${fault.kind} at ${fault.atMs} ms`).join(', ');
}
