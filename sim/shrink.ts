/**
 * Shrinking a failing run's faults: the smallest plan, found by trying, that still breaks the same
 * check. First each fault is dropped in turn and kept out if the run still fails (delta debugging,
 * one at a time); then what is left is made smaller (kills later, partitions and pauses shorter, mail fault
 * shares lower, clock drifts shorter (then gentler), clock jumps smaller, subsystem faults' sizes
 * and durations toward their minimums) as long as it still fails. The scheduling and the scenario's
 * own draws stay the seed's, so the result reads as a minimal fault timeline for that seed.
 *
 * @example
 * ```ts
 * const shrunk = await shrinkFaults(tally, 0);
 * console.log(describeFaultPlan(shrunk.plan)); // "kill at 206 ms"
 * ```
 */
import type { AnyFaultKind, FaultLimits } from '../actors/plugin/fault-kind.js';
import { cpuRestartAfterMsMaxDefault, enabledFaultKinds, faultKindsOf, faultWindowMsDefault, killMessageMaxDefault, type PlannedFault } from './fault-plan.js';
import type { FaultOptions } from './scenario.js';
import { failureKey, runScenario, type SimulationResult } from './run-scenario.js';
import type { Scenario } from './scenario.js';

export interface ShrinkResult {
  /** The seed's own failing run. */
  readonly original: SimulationResult;
  /** The smallest plan found that fails the same way, and its run. */
  readonly plan: readonly PlannedFault[];
  readonly result: SimulationResult;
  /** Runs tried. */
  readonly runs: number;
}

/** Halvings tried on one fault's size before giving up on it. */
const halvingsMax = 8;

/** Shrinks the faults of failing seed `seed`; throws when that seed does not fail. */
export async function shrinkFaults<S>(scenario: Scenario<S>, seed: number): Promise<ShrinkResult> {
  const original = await runScenario(scenario, { seed });
  if (original.ok) throw new RangeError(`${scenario.name}, seed ${seed}: the run passes; there is nothing to shrink`);
  const broken = failureKey(original);
  const kinds = enabledFaultKinds(scenario.faults as FaultOptions<unknown> | undefined, faultKindsOf(scenario));
  const options: FaultOptions<unknown> = (scenario.faults as FaultOptions<unknown> | undefined) ?? {};
  let runs = 1;
  let best = { plan: original.faults, result: original };
  const stillFails = async (plan: readonly PlannedFault[]): Promise<boolean> => {
    runs++;
    const result = await runScenario(scenario, { seed, plan });
    if (result.ok || failureKey(result) !== broken) return false;
    best = { plan, result };
    return true;
  };
  // Drop faults one at a time.
  for (let index = 0; index < best.plan.length; ) {
    if (!(await stillFails(best.plan.filter((_, at) => at !== index)))) index++;
  }
  // Make each remaining fault smaller.
  for (let index = 0; index < best.plan.length; index++) {
    for (let halving = 0; halving < halvingsMax; halving++) {
      const smaller = halve(best.plan[index]!, kinds, options);
      if (smaller === null || !(await stillFails(best.plan.map((fault, at) => (at === index ? smaller : fault))))) break;
    }
  }
  return { original, plan: best.plan, result: best.result, runs };
}

/** A smaller version of `fault` that the scenario's `options` could have drawn, or null when it has nothing to make smaller. */
function halve(fault: PlannedFault, kinds: readonly { kind: AnyFaultKind; limits: FaultLimits }[], options: FaultOptions<unknown>): PlannedFault | null {
  const windowMs = options.windowMs ?? faultWindowMsDefault;
  switch (fault.kind) {
    case 'kill': {
      // Later: less of the run happens after the crash.
      const later = fault.atMs + Math.ceil((windowMs - 1 - fault.atMs) / 2);
      return later <= fault.atMs ? null : { ...fault, atMs: later };
    }
    case 'mail':
      return fault.drop + fault.duplicate + fault.delay < 0.01
        ? null
        : { ...fault, drop: fault.drop / 2, duplicate: fault.duplicate / 2, delay: fault.delay / 2, delayMsMax: Math.max(1, Math.floor(fault.delayMsMax / 2)) };
    case 'kill-at-message': {
      // Later: more of the conversation happens before the crash.
      const latest = options.killMessageMax ?? killMessageMaxDefault;
      return fault.atMessage >= latest ? null : { ...fault, atMessage: Math.min(latest, fault.atMessage * 2) };
    }
    case 'cpu-pause':
      return fault.forMs <= 1 ? null : { ...fault, forMs: Math.max(1, Math.floor(fault.forMs / 2)) };
    case 'cpu-crash':
      // Back sooner, or (from staying down) back at all.
      return fault.restartAfterMs === undefined
        ? options.cpus?.restarts === false
          ? null
          : { ...fault, restartAfterMs: options.cpus?.restartAfterMsMax ?? cpuRestartAfterMsMaxDefault }
        : fault.restartAfterMs <= 1
          ? null
          : { ...fault, restartAfterMs: Math.max(1, Math.floor(fault.restartAfterMs / 2)) };
    case 'clock-jump':
      return fault.byMs <= 1 ? null : { ...fault, byMs: Math.max(1, Math.floor(fault.byMs / 2)) };
    case 'clock-drift':
      // Shorter first, then nearer true time.
      return fault.forMs > 1
        ? { ...fault, forMs: Math.max(1, Math.floor(fault.forMs / 2)) }
        : Math.abs(fault.rate - 1) < 0.005
          ? null
          : { ...fault, rate: 1 + (fault.rate - 1) / 2 };
    case 'subsystem': {
      const enabled = kinds.find(({ kind }) => kind.name === fault.name);
      if (enabled === undefined) return null;
      let shrunk = false;
      const values = Object.fromEntries(
        Object.entries(enabled.kind.fields(enabled.limits)).map(([name, field]) => {
          const value = fault.values[name] ?? field.min;
          if (field.shrinks !== true) return [name, value];
          const half = field.min + (value - field.min) / 2;
          const smaller = field.integer === true ? Math.floor(half) : half;
          // A real number that would take many halvings to reach its minimum stops at 1 % of its range.
          if (value - smaller > (field.integer === true ? 0 : (field.max - field.min) / 200)) shrunk = true;
          return [name, smaller];
        }),
      );
      return shrunk ? { ...fault, values } : null;
    }
    default:
      return fault.forMs <= 1 ? null : { ...fault, forMs: Math.max(1, Math.floor(fault.forMs / 2)) };
  }
}
