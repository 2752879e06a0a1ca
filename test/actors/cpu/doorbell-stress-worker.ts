/**
 * Worker side of doorbell-stress.test.ts. Roles:
 * - producer: publishes `count` int32 frames (its sequence numbers) into its ring in bursts of 1-8,
 *   rings the consumer's doorbell after each burst, and pauses a random few hundred spins between
 *   bursts, so that publications land before, during and after the consumer's park;
 * - consumer: takes the pending mask, drains the rings whose bits are set, checks every producer's
 *   sequence, and when a take finds nothing, polls `spinPollsMax` times and parks on the doorbell
 *   (a 250 ms timed wait as the safety net that makes a lost wake visible instead of a hang).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { Doorbell } from '../../../actors/cpu/doorbell.js';
import { SpscRing } from '../../../actors/ring/spsc-ring.js';
import { createSeededRandom } from '../../../drivers/random/seeded.js';
import { createRealClock } from '../../../drivers/clock/real.js';

const clock = createRealClock();

export type DoorbellJob =
  | {
      readonly role: 'producer';
      readonly cpu: number;
      readonly ring: SharedArrayBuffer;
      readonly doorbell: SharedArrayBuffer;
      readonly count: number;
      readonly seed: number;
    }
  | {
      readonly role: 'consumer';
      readonly rings: readonly SharedArrayBuffer[];
      readonly doorbell: SharedArrayBuffer;
      readonly countPerProducer: number;
      readonly spinPollsMax: number;
      readonly parkTimeoutMs: number;
    };

export interface DoorbellResult {
  readonly received: number;
  readonly outOfOrder: number;
  readonly emptyTakes: number;
  readonly outcomes: Record<string, number>;
}

const job = workerData as DoorbellJob;

if (job.role === 'producer') {
  const ring = SpscRing.attach(job.ring);
  const bell = new Doorbell(job.doorbell);
  const random = createSeededRandom(job.seed);
  const frame = new Uint8Array(4);
  const words = new Int32Array(frame.buffer);
  let busy = 0;
  for (let seq = 0; seq < job.count; ) {
    const burst = Math.min(job.count - seq, 1 + random.int(8));
    for (let k = 0; k < burst; k++) {
      words[0] = seq++;
      while (!ring.offer(frame)) bell.ring(job.cpu);
    }
    bell.ring(job.cpu);
    // Up to ~20 µs of atomic loads: long enough, often, for the consumer to park in between.
    const pause = random.int(3_000);
    for (let spin = 0; spin < pause; spin++) busy ^= bell.hasData() ? 1 : 0;
  }
  if (busy === 2) throw new Error('unreachable: keeps the pause loop from being optimised away');
  parentPort!.postMessage({ received: 0, outOfOrder: 0, emptyTakes: 0, outcomes: {} } satisfies DoorbellResult);
} else {
  const rings = job.rings.map((buffer) => SpscRing.attach(buffer));
  const bell = new Doorbell(job.doorbell);
  const next = new Array<number>(rings.length).fill(0);
  const total = job.countPerProducer * rings.length;
  let received = 0;
  let outOfOrder = 0;
  let emptyTakes = 0;
  const outcomes: Record<string, number> = { data: 0, woken: 0, 'timed-out': 0, spun: 0 };
  let source = 0;
  const handle = (bytes: Uint8Array, offset: number): void => {
    const seq = bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24);
    if (seq !== next[source]) outOfOrder++;
    next[source] = seq + 1;
    received++;
  };
  while (received < total) {
    let mask = bell.take();
    if (mask === 0) {
      emptyTakes++;
      let polls = 0;
      while (polls < job.spinPollsMax && !bell.hasData()) polls++;
      if (polls < job.spinPollsMax) {
        outcomes.spun!++;
        continue;
      }
      outcomes[bell.park(job.parkTimeoutMs, clock)]!++;
      continue;
    }
    for (; mask !== 0; mask &= mask - 1) {
      source = 31 - Math.clz32(mask & -mask) - 1; // producers are cpus 1..n, rings[0] is cpu 1
      // Drain to empty: a bit means "published since the last take", not "one frame".
      while (rings[source]!.drain(handle, 1_024) > 0);
    }
  }
  parentPort!.postMessage({ received, outOfOrder, emptyTakes, outcomes } satisfies DoorbellResult);
}
