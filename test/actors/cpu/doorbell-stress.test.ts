/**
 * The incoming-wakeups protocol across real threads: two producer CPUs publish into their rings and
 * ring one consumer's doorbell; the consumer parks whenever it runs dry. No frame may be lost,
 * duplicated or reordered, and no wake may be lost: every park must end by a notify or find data,
 * never by its 250 ms safety timeout, and the doorbell's lost-wake counter must stay 0.
 *
 * Frames per producer: the DOORBELL_FRAMES size of test/helpers/stress.ts, 30 000 at CI size
 * (thousands of parks), 600 000 under npm run test:stress (about 10^5 parks);
 * OSPREY_STRESS_DOORBELL_FRAMES=15000000 gave 2.1 million park/wake cycles, 0 lost, in 74 s here.
 */
import { expect } from 'chai';
import { Worker } from 'node:worker_threads';
import { Doorbell } from '../../../actors/cpu/doorbell.js';
import { SpscRing } from '../../../actors/ring/spsc-ring.js';
import type { DoorbellJob, DoorbellResult } from './doorbell-stress-worker.js';
import { stressSize } from '../../helpers/stress.js';

function run(job: DoorbellJob): Promise<DoorbellResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./doorbell-stress-worker.js', import.meta.url), { workerData: job });
    let result: DoorbellResult | null = null;
    worker.once('message', (message: DoorbellResult) => (result = message));
    worker.once('error', reject);
    worker.once('exit', (code) => (result !== null ? resolve(result) : reject(new Error(`${job.role} exited with code ${code}`))));
  });
}

const framesPerProducer = stressSize('DOORBELL_FRAMES', { ci: 30_000, full: 600_000 });

describe('doorbell: pending mask and parking across threads', () => {
  it(`loses no frame and no wake over ${framesPerProducer} frames from each of two producers`, async () => {
    const bell = Doorbell.allocate(true);
    const rings = [SpscRing.create(4096), SpscRing.create(4096)];
    const started = performance.now();
    const [consumer] = await Promise.all([
      run({
        role: 'consumer',
        rings: rings.map((ring) => ring.buffer as SharedArrayBuffer),
        doorbell: bell.buffer as SharedArrayBuffer,
        countPerProducer: framesPerProducer,
        spinPollsMax: 32,
        parkTimeoutMs: 250,
      }),
      ...rings.map((ring, index) =>
        run({
          role: 'producer',
          cpu: index + 1,
          ring: ring.buffer as SharedArrayBuffer,
          doorbell: bell.buffer as SharedArrayBuffer,
          count: framesPerProducer,
          seed: 40 + index,
        }),
      ),
    ]);
    const counters = bell.counters();
    process.stderr.write(
      `      doorbell stress: ${JSON.stringify({ frames: consumer.received, ms: Math.round(performance.now() - started), ...consumer.outcomes, ...counters })}\n`,
    );
    expect(consumer.received).to.equal(2 * framesPerProducer);
    expect(consumer.outOfOrder).to.equal(0);
    expect(counters.lostWakes).to.equal(0);
    expect(consumer.outcomes['timed-out'], 'parks that ended by the safety timeout').to.equal(0);
    // The test is only worth something if the consumer really parked, many times.
    expect(counters.parks).to.be.above(framesPerProducer / 40);
    expect(counters.notifies).to.be.at.least(counters.parks);
  });
});
