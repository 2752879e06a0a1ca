/**
 * Sizes of the stress and soak tests.
 *
 * `npm test` runs every stress test at its CI size: small enough that the whole suite takes about a
 * minute on two busy cores, large enough that each still does what it is there for (real threads,
 * rings that wrap and fill, consumers that park thousands of times). `npm run test:stress` sets
 * `OSPREY_STRESS=1` and runs the same tests at their full size, with a 10-minute mocha timeout.
 *
 * `OSPREY_STRESS_<NAME>=n` sets one size alone, over both defaults:
 *
 * ```sh
 * npm run test:stress                                             # every size full
 * OSPREY_STRESS_DOORBELL_FRAMES=15000000 npm run test:stress -- --grep doorbell
 * OSPREY_STRESS_RING_MESSAGES=200000 npm test                    # one size up, the rest at CI size
 * ```
 *
 * The names, with their CI and full sizes, are where they are used:
 * - RING_MESSAGES     test/actors/ring/stress.test.ts       messages per threaded ring case
 * - DOORBELL_FRAMES   test/actors/cpu/doorbell-stress.test.ts  frames per producer
 * - IRQ_STORM_EVENTS  test/actors/irq/storm.test.ts         events per storm
 * - FUZZ_RUNS         test/protocols/codec-fuzz.test.ts, test/actors/cpu/mail-frames.test.ts  fast-check runs
 * - SIM_HOURS         test/actors/sched/decayed-runtime.test.ts  busy hours of simulated time
 * - WORKER_MESSAGES   test/actors/cpu/worker-cpus.test.ts   messages streamed between worker CPUs
 */

/** True under `npm run test:stress` (`OSPREY_STRESS=1`). */
export const stressFull: boolean = parseStressFlag(process.env.OSPREY_STRESS);

/**
 * The size of one stress test: `OSPREY_STRESS_<name>` if set, else `full` under OSPREY_STRESS=1,
 * else `ci`. A malformed value throws, so a typo never silently runs the small size.
 *
 * @example
 * ```ts
 * const messages = stressSize('RING_MESSAGES', { ci: 20_000, full: 1_000_000 });
 * ```
 */
export function stressSize(name: string, sizes: { readonly ci: number; readonly full: number }): number {
  const variable = `OSPREY_STRESS_${name}`;
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return stressFull ? sizes.full : sizes.ci;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${variable} must be a positive integer, got ${JSON.stringify(raw)}`);
  return value;
}

function parseStressFlag(raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === '0') return false;
  if (raw === '1') return true;
  throw new RangeError(`OSPREY_STRESS must be 1 (full sizes) or 0, got ${JSON.stringify(raw)}`);
}
