/**
 * Shrinking a failing run's tape: with its faults fixed (shrink.ts makes them few and small first),
 * the random draws of the run are moved toward zero while it still breaks the same check, as
 * Hypothesis shrinks its choice sequences. Zero is the simplest choice by the conventions of the
 * streams shrunk: which simulated CPU steps next (the lowest of those with work), the scenario's own
 * draws (fewer steps, smaller amounts, no waiting: draw them so that 0 is the plainest), and actors'
 * streams. Fault streams are left alone: their simplest draw is not zero (a mail fate of 0 drops), and
 * the plan is what says which faults happen.
 *
 * Two passes per stream: runs of draws set to zero (halves, then quarters, down to single draws, as
 * delta debugging does), then each draw left halved toward zero while the failure holds. A budget of
 * runs bounds it.
 *
 * @example
 * ```ts
 * const faults = await shrinkFaults(bank, 4);
 * const shrunk = await shrinkTape(bank, 4, faults.plan);
 * writeFileSync('bank.tape.json', JSON.stringify(shrunk.tape)); // replays with `osprey sim --replay`
 * ```
 */
import type { PlannedFault } from './fault-plan.js';
import { failureKey, runScenario, type SimulationResult } from './run-scenario.js';
import type { Scenario } from './scenario.js';
import type { Tape } from './tape.js';

export interface TapeShrinkResult {
  /** The tape shrunk, with the plan it runs under: `runScenario(s, { seed, tape })` replays it. */
  readonly tape: Tape;
  /** Its run, which fails as the original did. */
  readonly result: SimulationResult;
  /** Draws that differ from the original run's, and draws in all. */
  readonly drawsChanged: number;
  readonly draws: number;
  /** Runs tried. */
  readonly runs: number;
}

/** Runs a tape shrink may try (each is a whole run of the scenario). */
export const tapeShrinkRunsMaxDefault = 400;

/** Streams whose draws are faults' (the plan's, each mail fate, fault points): shrinking leaves them as recorded. */
const faultStreams = /^\/sim\.(faults(\/|$)|mail$|maybe\.)/;

/** Whether a recorded stream is one whose draws shrink toward zero. */
export function shrinksTowardZero(stream: string): boolean {
  return !faultStreams.test(stream);
}

/**
 * Shrinks the tape of seed `seed` run under `plan` (the seed's own plan when left out). Throws
 * RangeError when that run passes.
 */
export async function shrinkTape<S>(
  scenario: Scenario<S>,
  seed: number,
  plan?: readonly PlannedFault[],
  runsMax = tapeShrinkRunsMaxDefault,
): Promise<TapeShrinkResult> {
  const original = await runScenario(scenario, { seed, recordTape: true, ...(plan !== undefined ? { plan } : {}) });
  if (original.ok) throw new RangeError(`${scenario.name}, seed ${seed}: the run passes; there is nothing to shrink`);
  const faults = original.faults;
  const broken = failureKey(original);
  const recorded = original.tape!.streams;
  const streams: Record<string, number[]> = Object.fromEntries(Object.entries(recorded).map(([name, draws]) => [name, [...draws]]));
  let runs = 1;
  let best = original;
  const stillFails = async (name: string, draws: number[]): Promise<boolean> => {
    if (runs >= runsMax) return false;
    runs++;
    const result = await runScenario(scenario, { seed, plan: faults, tape: { seed, streams: { ...streams, [name]: draws } } });
    if (result.ok || failureKey(result) !== broken) return false;
    streams[name] = draws;
    best = result;
    return true;
  };
  // The scenario's own draws first (its steps and amounts read plainest), then the scheduling and the actors'.
  const scenarioFirst = (name: string) => (name.startsWith('/sim.') ? 0 : 1);
  const order = Object.keys(streams)
    .filter(shrinksTowardZero)
    .sort((a, b) => scenarioFirst(a) - scenarioFirst(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const name of order) {
    // Runs of draws set to zero, largest first.
    for (let size = streams[name]!.length; size >= 1; size = Math.floor(size / 2)) {
      for (let from = 0; from < streams[name]!.length; from += size) {
        const draws = streams[name]!;
        if (draws.slice(from, from + size).every((draw) => draw === 0)) continue;
        await stillFails(
          name,
          draws.map((draw, at) => (at >= from && at < from + size ? 0 : draw)),
        );
      }
    }
    // Each draw left, halved toward zero.
    for (let at = 0; at < streams[name]!.length; at++) {
      const draw = streams[name]![at]!;
      if (draw === 0) continue;
      const half = Number.isInteger(draw) ? Math.floor(draw / 2) : draw / 2;
      await stillFails(
        name,
        streams[name]!.map((value, index) => (index === at ? half : value)),
      );
    }
  }
  let draws = 0;
  let drawsChanged = 0;
  for (const [name, values] of Object.entries(recorded)) {
    draws += values.length;
    drawsChanged += values.filter((value, at) => streams[name]![at] !== value).length;
  }
  return { tape: { seed, streams, plan: faults }, result: best, drawsChanged, draws, runs };
}
