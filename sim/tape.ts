/**
 * Tapes: every random draw of a run, recorded per stream, so that the run replays from its tape as
 * well as from its seed. Each choice the simulation makes draws from a named stream of the kernel's
 * random driver: which simulated CPU steps next, each fault of the plan, each mail fault's fate, the
 * scenario's own draws. Recording wraps the seeded driver; replaying serves the recorded values in
 * order, stream by stream, and past the end of a stream's record draws from the seed again. A tape
 * is plain data (JSON), and the next step, shrinking, edits it.
 *
 * @example
 * ```ts
 * const recorded = await runScenario(bank, { seed: 8812, recordTape: true });
 * writeFileSync('bank.tape.json', JSON.stringify(recorded.tape));
 * const again = await runScenario(bank, { seed: 8812, tape: JSON.parse(readFileSync('bank.tape.json', 'utf8')) });
 * ```
 */
import { createSeededRandom } from '../drivers/random/seeded.js';
import type { Random } from '../drivers/index.js';
import type { PlannedFault } from './fault-plan.js';

/** The draws of a run: per stream (its path of names from the root), the values in the order drawn. */
export interface Tape {
  readonly seed: number;
  readonly streams: Readonly<Record<string, readonly number[]>>;
  /** The faults the run had, when they were not its seed's (a shrunk run's): a replay injects these. */
  readonly plan?: readonly PlannedFault[];
}

/** A replay asked for a draw the tape cannot give: not a value of that kind. */
export class TapeMismatchError extends Error {
  constructor(stream: string, index: number, value: number, wanted: string) {
    super(`the tape's draw ${index} of stream '${stream || '(root)'}' is ${value}, not ${wanted}: the run went another way than the recorded one`);
    this.name = 'TapeMismatchError';
  }
}

/** A driver that draws from `inner` and writes every draw into `streams`. */
export function recordingRandom(inner: Random, streams: Record<string, number[]>, path = ''): Random {
  const record = (value: number): number => {
    (streams[path] ??= []).push(value);
    return value;
  };
  return {
    seed: inner.seed,
    next: () => record(inner.next()),
    int: (maxExclusive) => record(inner.int(maxExclusive)),
    stream: (name) => recordingRandom(inner.stream(name), streams, `${path}/${name}`),
  };
}

/** A driver that serves `tape`'s draws, stream by stream, then the seed's. */
export function replayingRandom(tape: Tape, seeded: Random = createSeededRandom(tape.seed), path = ''): Random {
  const recorded = tape.streams[path] ?? [];
  let index = 0;
  const take = (wanted: string, fits: (value: number) => boolean, fallback: () => number): number => {
    if (index >= recorded.length) return fallback();
    const value = recorded[index]!;
    if (!fits(value)) throw new TapeMismatchError(path, index, value, wanted);
    index++;
    return value;
  };
  return {
    seed: tape.seed,
    next: () =>
      take(
        'a float in [0, 1)',
        (value) => value >= 0 && value < 1,
        () => seeded.next(),
      ),
    int: (maxExclusive) =>
      take(
        `an integer below ${maxExclusive}`,
        (value) => Number.isInteger(value) && value >= 0 && value < maxExclusive,
        () => seeded.int(maxExclusive),
      ),
    stream: (name) => replayingRandom(tape, seeded.stream(name), `${path}/${name}`),
  };
}

/** Whether `value` is a tape: a seed and streams of numbers. */
export function isTape(value: unknown): value is Tape {
  const tape = value as Tape | null;
  return (
    typeof tape === 'object' &&
    tape !== null &&
    Number.isSafeInteger(tape.seed) &&
    typeof tape.streams === 'object' &&
    tape.streams !== null &&
    Object.values(tape.streams).every((draws) => Array.isArray(draws) && draws.every((draw) => typeof draw === 'number')) &&
    (tape.plan === undefined || (Array.isArray(tape.plan) && tape.plan.every((fault) => typeof fault?.kind === 'string')))
  );
}
