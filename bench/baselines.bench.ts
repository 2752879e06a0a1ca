// Measures the in-run baselines alone (the same functions other bench files use as denominators).
// Sizes: each repetition takes ~100-300 ms on this VM; the whole file runs in well under 20 s.

import { functionCallLoop, functionCallLoopPolymorphic, handWrittenActorLoop, xstateSendLoop } from './baselines.js';
import { emit, emitRatio, measureRate } from './harness.js';

const N_CALL = 20_000_000; // ~130-180 ms at 150-110 M/s
const N_POLY = 20_000_000; // ~110-220 ms at 180-90 M/s
const N_ACTOR = 5_000_000; // ~160 ms at 31.7 M/s (docs/measured-limits.md §1 used 10M; the rate does not depend on n)
const N_XSTATE = 100_000; // ~180-290 ms at 550-350 k/s: xstate costs ~2-3 µs per send

export async function run(): Promise<void> {
  const call = measureRate({ name: 'function call loop (inlinable)', unit: 'msg/s', run: () => functionCallLoop(N_CALL) });
  emit(call, { n: N_CALL });

  const poly = measureRate({ name: 'function call loop, 8 distinct handlers', unit: 'msg/s', run: () => functionCallLoopPolymorphic(N_POLY) });
  emit(poly, { n: N_POLY });

  const actors = measureRate({
    name: 'hand-written 1000-actor loop (circular mailboxes + run queue)',
    unit: 'msg/s',
    run: () => handWrittenActorLoop(N_ACTOR),
  });
  emit(actors, { n: N_ACTOR });

  const xs = measureRate({ name: 'xstate v5 actor.send loop', unit: 'msg/s', run: () => xstateSendLoop(N_XSTATE) });
  emit(xs, { n: N_XSTATE });

  // Informational (no goal): how the baselines relate to one another in this run.
  emitRatio({ name: 'hand-written actor loop / function call loop', numerator: actors, denominator: call, goalKind: 'min' });
  emitRatio({ name: 'xstate send loop / hand-written actor loop', numerator: xs, denominator: actors, goalKind: 'min' });
}
