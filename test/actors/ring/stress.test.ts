/**
 * Goal: the rings lose, duplicate, reorder and tear nothing across real threads, and parking never
 * loses a wake-up.
 * Method: producer workers send sequence-numbered, checksummed frames of 12..72 bytes through a
 * small ring (so it wraps and fills constantly), mixing offer, tryReserve + commit and offerBatch;
 * a consumer worker checks every frame's sequence per producer, length and checksum, mixing drain,
 * readView and poll. Throughput cases spin; the park/wake cases make the consumer spin briefly
 * then park (with a 250 ms timed wait as a counted safety net: a timed-out wait that finds data with
 * its flag still raised is a lost wake) while producers send in bursts; between bursts they wait
 * until the ring is drained (so a lost wake stalls the stream until the timed wait counts it),
 * often also for the consumer's flag, then a random delay, so publications land in every phase of
 * park(). The RING_MESSAGES size of test/helpers/stress.ts scales every case: that many messages
 * for each throughput case, 0.6 x for the SPSC park case, 0.1 x in all for the MPSC park case. Full
 * size (npm run test:stress) is 10^6; the CI size, 20 000, still laps the 4 KiB ring over 200
 * times per case and parks the SPSC consumer thousands of times.
 */
import { expect } from 'chai';
import { MpscRing, SpscRing, readParkingCounters } from '../../../actors/ring/index.js';
import type { StressResult } from './stress-worker.js';
import { runWorker } from './stress-run.js';
import { stressSize } from '../../helpers/stress.js';

const ringCapacityBytes = 4_096;
const messages = stressSize('RING_MESSAGES', { ci: 20_000, full: 1_000_000 });
const parkTimeoutMs = 250;

function expectClean(results: StressResult[], total: number): void {
  for (const result of results) expect(result.error, `${result.role} reported`).to.equal(null);
  const consumer = results.find((result) => result.role === 'consumer')!;
  expect(consumer.received).to.equal(total);
}

function report(label: string, line: Record<string, unknown>): void {
  process.stderr.write(`      ${label}: ${JSON.stringify(line)}\n`);
}

describe('ring: threaded stress', () => {
  it('SPSC, 1 producer, spinning: no loss, duplication, reordering or torn frame', async () => {
    const count = messages;
    const ring = SpscRing.create(ringCapacityBytes);
    const started = performance.now();
    const results = await Promise.all([
      runWorker({
        role: 'consumer',
        ring: 'spsc',
        buffer: ring.buffer as SharedArrayBuffer,
        producers: 1,
        countPerProducer: count,
        seed: 11,
        spinPollsMax: null,
        parkTimeoutMs,
      }),
      runWorker({
        role: 'producer',
        ring: 'spsc',
        buffer: ring.buffer as SharedArrayBuffer,
        producer: 0,
        count,
        seed: 12,
        wake: false,
        burstFramesMax: 0,
        lockstep: false,
        flagWaitPercent: 0,
      }),
    ]);
    expectClean(results, count);
    report('spsc spin', { messages: count, ms: Math.round(performance.now() - started), fullRetries: results[1]!.fullRetries });
  });

  it('MPSC, 2 producers, spinning: per-producer order kept, nothing lost or torn', async () => {
    const count = Math.ceil(messages / 2);
    const ring = MpscRing.create(ringCapacityBytes);
    const buffer = ring.buffer as SharedArrayBuffer;
    const started = performance.now();
    const results = await Promise.all([
      runWorker({ role: 'consumer', ring: 'mpsc', buffer, producers: 2, countPerProducer: count, seed: 21, spinPollsMax: null, parkTimeoutMs }),
      runWorker({ role: 'producer', ring: 'mpsc', buffer, producer: 0, count, seed: 22, wake: false, burstFramesMax: 0, lockstep: false, flagWaitPercent: 0 }),
      runWorker({ role: 'producer', ring: 'mpsc', buffer, producer: 1, count, seed: 23, wake: false, burstFramesMax: 0, lockstep: false, flagWaitPercent: 0 }),
    ]);
    expectClean(results, 2 * count);
    report('mpsc spin', {
      messages: 2 * count,
      ms: Math.round(performance.now() - started),
      casFailures: results[1]!.casFailures + results[2]!.casFailures,
    });
  });

  const spscParkCount = Math.ceil(messages * 0.6);
  // About one park cycle per 3 messages: 10^5 at full size, thousands at CI size.
  const spscParkCyclesMin = Math.min(100_000, Math.floor(spscParkCount / 6));

  it(`SPSC park/wake: bursts racing the sleep flag lose no wake-up (>= ${spscParkCyclesMin} park cycles)`, async () => {
    const count = spscParkCount;
    const ring = SpscRing.create(ringCapacityBytes);
    const buffer = ring.buffer as SharedArrayBuffer;
    const started = performance.now();
    const results = await Promise.all([
      runWorker({ role: 'consumer', ring: 'spsc', buffer, producers: 1, countPerProducer: count, seed: 31, spinPollsMax: 16, parkTimeoutMs }),
      runWorker({ role: 'producer', ring: 'spsc', buffer, producer: 0, count, seed: 32, wake: true, burstFramesMax: 4, lockstep: true, flagWaitPercent: 50 }),
    ]);
    expectClean(results, count);
    const counters = readParkingCounters(ring.header);
    const consumer = results[0]!;
    report('spsc park', { messages: count, ms: Math.round(performance.now() - started), outcomes: consumer.outcomes, ...counters });
    expect(counters.lostWakes, 'lost wake-ups').to.equal(0);
    expect(counters.parkTimeouts, 'timed-out parks (the producer never pauses for 250 ms)').to.equal(0);
    // Park cycles: the consumer raised its flag and went to Atomics.wait (slept, or was cleared first).
    expect(consumer.outcomes.woken, 'park/wake cycles').to.be.at.least(spscParkCyclesMin);
    expect(counters.notifies, 'at most one notify per park cycle').to.be.at.most(consumer.outcomes.woken + consumer.outcomes.data);
  });

  it('MPSC park/wake, 2 producers racing for the flag: one notify per raise, no lost wake-up', async () => {
    const count = Math.ceil(messages * 0.05);
    const ring = MpscRing.create(ringCapacityBytes);
    const buffer = ring.buffer as SharedArrayBuffer;
    const started = performance.now();
    const results = await Promise.all([
      runWorker({ role: 'consumer', ring: 'mpsc', buffer, producers: 2, countPerProducer: count, seed: 41, spinPollsMax: 16, parkTimeoutMs }),
      runWorker({ role: 'producer', ring: 'mpsc', buffer, producer: 0, count, seed: 42, wake: true, burstFramesMax: 4, lockstep: true, flagWaitPercent: 50 }),
      runWorker({ role: 'producer', ring: 'mpsc', buffer, producer: 1, count, seed: 43, wake: true, burstFramesMax: 4, lockstep: true, flagWaitPercent: 50 }),
    ]);
    expectClean(results, 2 * count);
    const counters = readParkingCounters(ring.header);
    report('mpsc park', { messages: 2 * count, ms: Math.round(performance.now() - started), outcomes: results[0]!.outcomes, ...counters });
    expect(counters.lostWakes, 'lost wake-ups').to.equal(0);
    expect(counters.notifies, 'at most one notify per park cycle').to.be.at.most(results[0]!.outcomes.woken + results[0]!.outcomes.data);
  });
});
