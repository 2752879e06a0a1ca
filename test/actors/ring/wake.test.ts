/**
 * Goal: park/wake follow the protocol of docs/measured-limits.md §5.1 and their counters tell the truth,
 * including the lost-wake counter, which a deliberately buggy producer (publishes, never wakes)
 * must trip. The high-volume races are in stress.test.ts.
 */
import { expect } from 'chai';
import { MpscRing, SpinThenPark, SpscRing, park, parkAsync, readParkingCounters, wakeIfParked } from '../../../actors/ring/index.js';
import { sleepFlagWord } from '../../../actors/ring/layout.js';
import { InvariantError } from '../../../ground/errors.js';
import { runWorker } from './stress-run.js';
import { createRealClock } from '../../../drivers/clock/real.js';

/** The clock parks sleep with: a timed wait is the clock driver's. */
const clock = createRealClock();

describe('ring: park and wake', function () {
  this.timeout(20_000);

  it('does not sleep when the re-check after raising the flag finds data, and lowers the flag', () => {
    const ring = SpscRing.create(256);
    ring.offer(Uint8Array.of(1));
    expect(park(ring, 5_000, clock)).to.equal('data');
    expect(Atomics.load(ring.header, sleepFlagWord)).to.equal(0);
    expect(readParkingCounters(ring.header)).to.deep.equal({ notifies: 0, parks: 0, parkTimeouts: 0, lostWakes: 0 });
  });

  it('times out on an empty ring and counts a park and a timeout, not a lost wake', () => {
    const ring = MpscRing.create(256);
    expect(park(ring, 5, clock)).to.equal('timed-out');
    expect(Atomics.load(ring.header, sleepFlagWord)).to.equal(0);
    expect(readParkingCounters(ring.header)).to.deep.equal({ notifies: 0, parks: 1, parkTimeouts: 1, lostWakes: 0 });
  });

  it('notifies only when the flag is raised, once per raise', () => {
    const ring = SpscRing.create(256);
    expect(wakeIfParked(ring.header)).to.equal(false);
    Atomics.store(ring.header, sleepFlagWord, 1);
    expect(wakeIfParked(ring.header)).to.equal(true);
    expect(wakeIfParked(ring.header)).to.equal(false);
    expect(Atomics.load(ring.header, sleepFlagWord)).to.equal(0);
    expect(readParkingCounters(ring.header).notifies).to.equal(1);
  });

  it('returns "woken" without sleeping when a producer cleared the flag before the wait', () => {
    // Simulates the race window between the re-check and Atomics.wait: an empty ring whose
    // hasData() clears the flag, as a producer's exchange would.
    const ring = SpscRing.create(256);
    const racing = {
      header: ring.header,
      hasData: () => {
        wakeIfParked(ring.header);
        return false;
      },
    };
    expect(park(racing, 5_000, clock)).to.equal('woken');
    expect(readParkingCounters(ring.header)).to.deep.equal({ notifies: 1, parks: 0, parkTimeouts: 0, lostWakes: 0 });
  });

  it('refuses to park on a plain ArrayBuffer ring', () => {
    const ring = SpscRing.create(256, { shared: false });
    expect(() => park(ring, 1, clock)).to.throw(InvariantError, /SharedArrayBuffer/);
  });

  it('parkAsync on the main thread is woken by a worker producer, with one notify and one park', async () => {
    const ring = SpscRing.create(256);
    const producer = runWorker({ role: 'delayed-producer', ring: 'spsc', buffer: ring.buffer as SharedArrayBuffer, delayMs: 50, wake: true });
    const outcome = await parkAsync(ring, 10_000, clock);
    await producer;
    expect(outcome).to.equal('woken');
    expect(ring.poll()).to.not.equal(null);
    expect(readParkingCounters(ring.header)).to.deep.equal({ notifies: 1, parks: 1, parkTimeouts: 0, lostWakes: 0 });
  });

  it('counts a lost wake when a producer publishes without waking a parked consumer', async () => {
    const ring = MpscRing.create(256);
    const producer = runWorker({ role: 'delayed-producer', ring: 'mpsc', buffer: ring.buffer as SharedArrayBuffer, delayMs: 20, wake: false });
    // Blocks this thread in 100 ms parks until the buggy producer has published (it never
    // notifies), so the park it published into times out with the flag raised over data. Up to
    // 10 s, for a worker that starts late on a busy machine; usually the first park.
    let outcome = park(ring, 100, clock);
    for (let attempt = 0; attempt < 100 && !ring.hasData(); attempt++) outcome = park(ring, 100, clock);
    await producer;
    expect(outcome).to.equal('timed-out');
    expect(readParkingCounters(ring.header).lostWakes).to.equal(1);
  });

  it('SpinThenPark returns "data" from its spin without touching the flag, and validates options', async () => {
    const ring = SpscRing.create(256);
    ring.offer(Uint8Array.of(1));
    const policy = new SpinThenPark({ spinPollsMax: 4, waiter: clock });
    expect(policy.awaitData(ring)).to.equal('data');
    expect(await policy.awaitDataAsync(ring)).to.equal('data');
    ring.poll();
    expect(new SpinThenPark({ spinPollsMax: 4, parkTimeoutMs: 5, waiter: clock }).awaitData(ring)).to.equal('timed-out');
    expect(readParkingCounters(ring.header).parks).to.equal(1);
    expect(new SpinThenPark({ waiter: clock }).spinPollsMax).to.equal(1_000);
    expect(() => new SpinThenPark({ spinPollsMax: -1, waiter: clock })).to.throw(InvariantError, /spinPollsMax/);
    expect(() => new SpinThenPark({ parkTimeoutMs: -1, waiter: clock })).to.throw(InvariantError, /parkTimeoutMs/);
  });
});
