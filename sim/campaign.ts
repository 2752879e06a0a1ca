/**
 * Many seeds of one scenario, and the checks around them: a campaign stops at the first failing
 * seed and names it, so one run reproduces it (`simulateSeeds` throws with that line, for mocha);
 * `checkDeterminism` runs one seed twice and names the first event that differs.
 *
 * @example
 * ```ts
 * it('keeps the bank consistent under kills', () => simulateSeeds(bank, { seeds: 200 }));
 * const { same, firstDifference } = await checkDeterminism(bank, 8812);
 * ```
 */
import { describeResult, runScenario, type SimulationResult } from './run-scenario.js';
import type { Scenario } from './scenario.js';

/** A failing seed, thrown by `simulateSeeds`: its message is the report and the line that reproduces it. */
export class SimulationFailedError extends Error {
  constructor(readonly result: SimulationResult) {
    super(`${describeResult(result)}\n  reproduce: runScenario(${result.scenario}, { seed: ${result.seed} })`);
    this.name = 'SimulationFailedError';
  }
}

export interface CampaignOptions {
  /** How many seeds, from `firstSeed` on (default 0), or the seeds themselves. */
  readonly seeds: number | readonly number[];
  readonly firstSeed?: number;
  /** Called after each run, with its result (a progress bar, a log). */
  readonly onRun?: (result: SimulationResult) => void;
}

export interface CampaignSummary {
  readonly runs: number;
  /** The first failing run, or null when every seed passed. */
  readonly failed: SimulationResult | null;
  readonly simulatedMs: number;
  /** `sometimes` assertions that held in no run at all. */
  readonly sometimesNeverHeld: readonly string[];
}

/** Runs the seeds in order and stops at the first that fails. */
export async function runCampaign<S>(scenario: Scenario<S>, options: CampaignOptions): Promise<CampaignSummary> {
  const seeds = typeof options.seeds === 'number' ? Array.from({ length: options.seeds }, (_, i) => (options.firstSeed ?? 0) + i) : options.seeds;
  let simulatedMs = 0;
  const held = new Set<string>();
  const missed = new Set<string>();
  let runs = 0;
  for (const seed of seeds) {
    const result = await runScenario(scenario, { seed });
    options.onRun?.(result);
    runs++;
    simulatedMs += result.simulatedMs;
    for (const name of result.sometimesMissed) missed.add(name);
    for (const name of result.sometimesHeld) held.add(name);
    if (!result.ok) return { runs, failed: result, simulatedMs, sometimesNeverHeld: [] };
  }
  return { runs, failed: null, simulatedMs, sometimesNeverHeld: [...missed].filter((name) => !held.has(name)) };
}

/** Runs the seeds; throws SimulationFailedError for the first that fails. For tests. */
export async function simulateSeeds<S>(scenario: Scenario<S>, options: CampaignOptions): Promise<CampaignSummary> {
  const summary = await runCampaign(scenario, options);
  if (summary.failed !== null) throw new SimulationFailedError(summary.failed);
  return summary;
}

/** Runs `seed` twice: the same run, event for event, or the first event in which they differ. */
export async function checkDeterminism<S>(
  scenario: Scenario<S>,
  seed: number,
): Promise<{ readonly same: boolean; readonly firstDifference?: { readonly index: number; readonly first: string; readonly second: string } }> {
  const first = await runScenario(scenario, { seed, keepEvents: true });
  const second = await runScenario(scenario, { seed, keepEvents: true });
  const a = first.eventLog!;
  const b = second.eventLog!;
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    if (a[index] !== b[index]) return { same: false, firstDifference: { index, first: a[index] ?? '(no event)', second: b[index] ?? '(no event)' } };
  }
  return { same: first.eventHash === second.eventHash };
}
