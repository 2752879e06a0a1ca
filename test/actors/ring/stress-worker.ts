/**
 * Worker side of the threaded ring tests (started by stress.test.ts and wake.test.ts as
 * `new Worker(new URL('./stress-worker.js', import.meta.url), { workerData: job })`). One job per
 * worker; the result is posted back once, then the worker exits.
 *
 * Roles:
 * - producer: sends `count` stress frames, mixing offer, tryReserve + commit (+ publish) and
 *   offerBatch; optionally in bursts with pauses, where a pause may wait for the consumer's sleep
 *   flag and then a random delay, to land publications in every phase of park();
 * - consumer: receives and checks every frame (sequence per producer, length, checksum), spinning
 *   or spinning-then-parking when empty, and counts how its waits ended;
 * - delayed-producer: sleeps, then publishes one frame, with or without waking the consumer (the
 *   "without" case is a deliberately buggy producer that must show up as a lost wake).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MpscRing, SpinThenPark, SpscRing, wakeIfParked } from '../../../actors/ring/index.js';
import { headWord, lostWakeCountWord, sleepFlagWord, tailWord } from '../../../actors/ring/layout.js';
import { StressChecker, frameLengthFor, writeStressFrame } from './stress-frames.js';
import { createRealClock } from '../../../drivers/clock/real.js';

export interface ProducerJob {
  readonly role: 'producer';
  readonly ring: 'spsc' | 'mpsc';
  readonly buffer: SharedArrayBuffer;
  readonly producer: number;
  readonly count: number;
  readonly seed: number;
  /** Call wakeIfParked after each publication. */
  readonly wake: boolean;
  /** 0: stream without pauses. Otherwise bursts of 1..burstFramesMax frames, then a pause. */
  readonly burstFramesMax: number;
  /**
   * Each pause first waits until the consumer has consumed everything (head caught up with tail),
   * so a burst published into a lost wake-up stalls the stream until the consumer's timed wait
   * expires and counts it, instead of being rescued by the next burst's notify.
   */
  readonly lockstep: boolean;
  /** Percentage of pauses that wait for the consumer's sleep flag before a random delay. */
  readonly flagWaitPercent: number;
}

export interface ConsumerJob {
  readonly role: 'consumer';
  readonly ring: 'spsc' | 'mpsc';
  readonly buffer: SharedArrayBuffer;
  readonly producers: number;
  readonly countPerProducer: number;
  readonly seed: number;
  /** null: spin while empty. Otherwise SpinThenPark with these polls and a safety-net timeout. */
  readonly spinPollsMax: number | null;
  readonly parkTimeoutMs: number;
}

export interface DelayedProducerJob {
  readonly role: 'delayed-producer';
  readonly ring: 'spsc' | 'mpsc';
  readonly buffer: SharedArrayBuffer;
  readonly delayMs: number;
  readonly wake: boolean;
}

export type StressJob = ProducerJob | ConsumerJob | DelayedProducerJob;

export interface StressResult {
  readonly role: StressJob['role'];
  readonly received: number;
  readonly error: string | null;
  /** consumer: how its idle waits ended. */
  readonly outcomes: { readonly data: number; readonly woken: number; readonly timedOut: number };
  /** producer: CAS retries (MPSC) and failed attempts on a full ring. */
  readonly casFailures: number;
  readonly fullRetries: number;
}

/** Gives up instead of hanging when the other side made no progress for this long. */
const stallMsMax = 10_000;

type AnyRing = SpscRing | MpscRing;

function attach(kind: 'spsc' | 'mpsc', buffer: SharedArrayBuffer): AnyRing {
  return kind === 'spsc' ? SpscRing.attach(buffer) : MpscRing.attach(buffer);
}

/** xorshift32: a seeded, cheap random source for pauses and send styles. */
function randomSource(seed: number): (bound: number) => number {
  let state = seed | 0 || 0x9e3779b9;
  return (bound) => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % bound;
  };
}

function busyWait(iterations: number): number {
  let sink = 0;
  for (let i = 0; i < iterations; i++) sink = (sink + i) | 0;
  return sink;
}

function emptyResult(role: StressJob['role']): StressResult {
  return { role, received: 0, error: null, outcomes: { data: 0, woken: 0, timedOut: 0 }, casFailures: 0, fullRetries: 0 };
}

function runProducer(job: ProducerJob): StressResult {
  const ring = attach(job.ring, job.buffer);
  const random = randomSource(job.seed);
  const header = ring.header;
  let fullRetries = 0;
  let error: string | null = null;
  let seq = 0;
  let lastProgress = performance.now();
  const stalled = (): boolean => {
    if ((++fullRetries & 0xffff) !== 0) return false;
    if (performance.now() - lastProgress < stallMsMax) return false;
    error = `producer ${job.producer} stalled at seq ${seq} on a full ring`;
    return true;
  };
  const publishAndWake = (): void => {
    if (ring instanceof SpscRing) ring.publish();
    if (job.wake) wakeIfParked(header);
  };
  // One frame via tryReserve + commit, written in place.
  const reserveOne = (): boolean => {
    const offset = ring.tryReserve(frameLengthFor(job.producer, seq));
    if (offset < 0) return false;
    ring.commit(writeStressFrame(ring.bytes, offset, job.producer, seq));
    return true;
  };
  const frameOf = (n: number): Uint8Array => {
    const frame = new Uint8Array(frameLengthFor(job.producer, n));
    writeStressFrame(frame, 0, job.producer, n);
    return frame;
  };
  while (seq < job.count && error === null) {
    const burst = job.burstFramesMax === 0 ? 64 : 1 + random(job.burstFramesMax);
    const end = Math.min(job.count, seq + burst);
    const style = random(3);
    while (seq < end && error === null) {
      let sent = 0;
      if (style === 0) {
        sent = ring.offer(frameOf(seq)) ? 1 : 0;
      } else if (style === 1) {
        sent = reserveOne() ? 1 : 0;
      } else {
        const frames: Uint8Array[] = [];
        for (let n = seq; n < Math.min(end, seq + 8); n++) frames.push(frameOf(n));
        sent = ring.offerBatch(frames);
      }
      if (sent === 0) {
        publishAndWake(); // sealed frames must be visible before the consumer can free space
        if (stalled()) break;
        continue;
      }
      seq += sent;
      lastProgress = performance.now();
      // In-place frames are published (SPSC) and announced in groups of up to 4, so the consumer
      // also sees frames sealed across several commits appear at once.
      if (style !== 1 || (seq & 3) === 0 || seq === end) publishAndWake();
    }
    if (job.burstFramesMax !== 0) pause(job, random, header);
  }
  const casFailures = ring instanceof MpscRing ? ring.casFailureCount : 0;
  return { ...emptyResult('producer'), received: seq, error, casFailures, fullRetries };
}

/**
 * Between bursts: in lockstep, wait until the consumer has drained the ring; then, sometimes, wait
 * for it to raise its sleep flag; then a random delay (none, ~50 ns, ~1 µs or ~15 µs), so the next
 * publication lands before, during or after its park().
 */
function pause(job: ProducerJob, random: (bound: number) => number, header: Int32Array): void {
  const spinsMax = 1 << 24; // bounded: a stalled consumer ends the wait (the consumer's watchdog reports it)
  if (job.lockstep) {
    for (let spins = 0; spins < spinsMax && Atomics.load(header, headWord) !== Atomics.load(header, tailWord); spins++);
  }
  if (random(100) < job.flagWaitPercent) {
    for (let spins = 0; spins < spinsMax && Atomics.load(header, sleepFlagWord) === 0; spins++);
  }
  const scale = random(4);
  busyWait(scale === 0 ? 0 : scale === 1 ? random(64) : scale === 2 ? random(1_024) : random(16_384));
}

function runConsumer(job: ConsumerJob): StressResult {
  const ring = attach(job.ring, job.buffer);
  const random = randomSource(job.seed);
  const checker = new StressChecker(job.producers);
  const total = job.producers * job.countPerProducer;
  const policy =
    job.spinPollsMax === null ? null : new SpinThenPark({ spinPollsMax: job.spinPollsMax, parkTimeoutMs: job.parkTimeoutMs, waiter: createRealClock() });
  const outcomes = { data: 0, woken: 0, timedOut: 0 };
  let error: string | null = null;
  const handler = (bytes: Uint8Array, offset: number, length: number): void => {
    const problem = checker.check(bytes, offset, length);
    if (problem !== null && error === null) error = problem;
  };
  let lastProgress = performance.now();
  let receivedAtCheck = 0;
  let idleCount = 0;
  // A parked round can take parkTimeoutMs, so check the watchdog on every one; spinning rounds are cheap.
  const watchdogMask = policy === null ? 0xfff : 0;
  while (checker.received < total && error === null) {
    let got = 0;
    const style = random(8);
    if (style < 6) {
      got = ring.drain(handler, 1 + random(64));
    } else if (style === 6) {
      const view = ring.readView();
      if (view !== null) {
        handler(view.bytes, view.offset, view.length);
        ring.release();
        got = 1;
      }
    } else {
      const copy = ring.poll();
      if (copy !== null) {
        handler(copy, 0, copy.length);
        got = 1;
      }
    }
    if (got > 0) continue;
    if (policy !== null) {
      const outcome = policy.awaitData(ring);
      if (outcome === 'data') outcomes.data++;
      else if (outcome === 'woken') outcomes.woken++;
      else outcomes.timedOut++;
      // Fail fast on a broken protocol: each lost wake costs a whole timed wait.
      if (outcome === 'timed-out' && Atomics.load(ring.header, lostWakeCountWord) >= 3) error = 'lost wake-ups: 3 timed waits found data';
    }
    // Watchdog: a lost frame must fail the test, not hang it.
    if ((++idleCount & watchdogMask) === 0) {
      const now = performance.now();
      if (checker.received !== receivedAtCheck) {
        receivedAtCheck = checker.received;
        lastProgress = now;
      } else if (now - lastProgress > stallMsMax) {
        error = `consumer stalled with ${checker.received} of ${total} frames`;
      }
    }
  }
  return { ...emptyResult('consumer'), received: checker.received, error, outcomes };
}

function runDelayedProducer(job: DelayedProducerJob): StressResult {
  const ring = attach(job.ring, job.buffer);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, job.delayMs);
  const frame = new Uint8Array(frameLengthFor(0, 0));
  writeStressFrame(frame, 0, 0, 0);
  const sent = ring.offer(frame);
  if (job.wake) wakeIfParked(ring.header);
  return { ...emptyResult('delayed-producer'), received: sent ? 1 : 0, error: sent ? null : 'ring full' };
}

function run(job: StressJob): StressResult {
  switch (job.role) {
    case 'producer':
      return runProducer(job);
    case 'consumer':
      return runConsumer(job);
    case 'delayed-producer':
      return runDelayedProducer(job);
  }
}

parentPort?.postMessage(run(workerData as StressJob));
