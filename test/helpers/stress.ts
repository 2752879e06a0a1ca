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
 * The sizes (`grep -r stressSize test` finds their tests):
 *
 * | name             | what                                             | CI      | full      |
 * | ---------------- | ------------------------------------------------ | ------- | --------- |
 * | RING_MESSAGES    | messages per threaded ring stress case           | 20 000  | 1 000 000 |
 * | DOORBELL_FRAMES  | frames per producer of the doorbell stress       | 30 000  | 600 000   |
 * | IRQ_STORM_EVENTS | events per interrupt storm                       | 100 000 | 1 000 000 |
 * | FUZZ_RUNS        | fast-check runs of the codec and mail-frame fuzz | 500     | 2 000     |
 * | SIM_HOURS        | busy hours of the decayed-runtime soak           | 1       | 3         |
 * | WORKER_MESSAGES  | messages streamed between worker CPUs            | 8 000   | 20 000    |
 * | MUTUAL_STREAM_MESSAGES | messages each of two CPUs tells the other in one turn | 12 000 | 60 000 |
 * | FORWARDING_MOVES | moves of an actor that three CPUs stream to      | 6       | 100       |
 * | FLOODED_MOVES    | moves of an actor that three CPUs flood          | 6       | 60        |
 * | DELIVERY_RUNS    | fast-check runs of the cross-CPU delivery contract | 60    | 1 000     |
 * | VM_MODEL_RUNS    | fast-check runs of the address space against its model | 60  | 1 000     |
 * | VM_FAULT_PAGES   | pages two worker CPUs fault at once              | 2 048   | 32 768    |
 * | VM_CHURN_ROUNDS  | map/protect/move/unmap rounds under another CPU's writes | 200 | 5 000   |
 * | CRASH_KILLS      | SIGKILLs of a process writing a pool on real files | 50    | 400       |
 * | NIC_TRANSFER_RUNS | fast-check runs of the simulated-network transfer property | 40 | 1 000  |
 * | MEMCACHED_DIFF_RUNS | fast-check runs of the memcached differential test | 100 | 2 000 |
 * | MEMCACHED_SHARED_OPS | operations each of three CPUs runs on one shared item store | 3 000 | 60 000 |
 * | NET_CHANNEL_RUNS | fast-check runs of the net channels' no-loss property on a simulated wire | 15 | 300 |
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
