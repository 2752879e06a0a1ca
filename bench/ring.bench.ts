// Ring mailboxes between two threads (actors/ring) against postMessage, measured in the same run
// (docs/measured-limits.md §2 areas 2-3, §4 goals G4, G7, G8). Main thread = producer; bench/ring-worker.ts
// = consumer, commanded through a shared control block and signalling completion through a shared
// sequence word, so no postMessage sits in a ring measurement.
//
// Cases:
// 1. int32 frames (4-byte payload, 8 bytes in the ring), consumer spinning:
//    a. per frame: tryReserve + write in place + commit + publish; consumer readView/release;
//    b. per frame with offer(Uint8Array(4)) (the copying producer API);
//    c. batches of 64: 64 reserve/commit, one publish; consumer drain(…, 4096);
//    d. as (a) with the consumer spinning 1000 polls then parking, and the producer calling
//       wakeIfParked after each publish: throughput, notifies and parks (G7, G8).
// 2. 64-byte frames: offer (copy in); consumer readView + copy 16 words out (as case 03a of docs/measured-limits.md §1),
//    and poll() (a fresh copy per frame).
// 3. ping-pong RTT over two rings, both sides spinning: median and p99 (the harness's hrtime pair,
//    timerNs, is inside every sample).
// 4. postMessage: one-way {type:'ping', n} unbatched and 64 per post (an array), and ping-pong RTT.
// Reference (docs/measured-limits.md §2, other runs): 35.5 M int32/s, 503 M/s batched, 14.1 M 64-byte/s,
// 0.17 µs spin RTT, postMessage 0.71 M/s, 2.6 M/s batched, 69 µs RTT. About 30-40 s on this VM.

import { Worker } from 'node:worker_threads';
import { SpscRing, readParkingCounters, wakeIfParked } from '../actors/ring/index.js';
import { measurePostRtt, startPostWorker } from './post-worker.js';
import { emit, emitRatio, maybeGc, measureLatency, measureRate, measureRateAsync, quantile, type LatencyResult, type RateResult } from './harness.js';
import {
  command,
  commandCountWord,
  commandKindWord,
  commandSeqWord,
  controlBytes,
  dataWords,
  doneSeqWord,
  resultFloat,
  type RingWorkerData,
} from './ring-worker.js';

const REPS = 5;
const N_INT = 10_000_000;
const N_BATCH = 20_000_000;
const N_64 = 5_000_000;
const RTT_SAMPLES = 100_000;
const N_POST = 300_000;
const N_POST_BATCHED = 1_000_000;
const POST_BATCH = 64;
const POST_RTT_SAMPLES = 5_000;
const STREAM_CAPACITY_BYTES = 64 * 1024;
const PING_CAPACITY_BYTES = 4 * 1024;

// ---------------------------------------------------------------------------------------------
// The ring worker and its control block

interface Rings {
  stream: SpscRing;
  stream64: SpscRing;
  ping: SpscRing;
  pong: SpscRing;
}

const control = new Int32Array(new SharedArrayBuffer(controlBytes));
const controlResult = new Float64Array(control.buffer);
let commandSeq = 0;

/** Starts a command on the ring worker; returns at once (the producer side runs next). */
function startCommand(kind: number, n: number): void {
  control[commandKindWord] = kind;
  control[commandCountWord] = n;
  // Publishes kind and count (plain stores above) with the sequence the worker waits on.
  Atomics.store(control, commandSeqWord, ++commandSeq);
  Atomics.notify(control, commandSeqWord);
}

/** Blocks until the worker finished the current command; returns its result. */
function awaitCommand(): number {
  for (let done = Atomics.load(control, doneSeqWord); done !== commandSeq; done = Atomics.load(control, doneSeqWord)) {
    Atomics.wait(control, doneSeqWord, done);
  }
  return controlResult[resultFloat]!;
}

function checkSum(name: string, sum: number, expected: number): void {
  if (sum !== expected) throw new Error(`${name}: consumer sum ${sum}, expected ${expected}: frames were lost or corrupted`);
}

/** 0 + 1 + … + (n - 1) wrapped to int32, as the worker sums (`(sum + v) | 0`). */
function triangle(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum = (sum + i) | 0;
  return sum;
}

// ---------------------------------------------------------------------------------------------
// Producers (main thread). Top-level functions so each stays monomorphic.

function produceInt(ring: SpscRing, words: Int32Array, n: number, wake: boolean): void {
  for (let i = 0; i < n; i++) {
    let offset = ring.tryReserve(4);
    while (offset < 0) offset = ring.tryReserve(4);
    words[offset >> 2] = i;
    ring.commit(4);
    ring.publish();
    if (wake) wakeIfParked(ring.header);
  }
}

function produceIntOffer(ring: SpscRing, n: number): void {
  const frame = new Uint8Array(4);
  const frameWords = new Int32Array(frame.buffer);
  for (let i = 0; i < n; i++) {
    frameWords[0] = i;
    while (!ring.offer(frame));
  }
}

function produceIntBatched(ring: SpscRing, words: Int32Array, n: number, batch: number): void {
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + batch);
    for (; i < end; i++) {
      let offset = ring.tryReserve(4);
      if (offset < 0) {
        ring.publish(); // the consumer can only free space it has seen
        while (offset < 0) offset = ring.tryReserve(4);
      }
      words[offset >> 2] = i;
      ring.commit(4);
    }
    ring.publish();
  }
}

function produce64(ring: SpscRing, n: number): void {
  const record = new Uint8Array(64);
  const recordWords = new Int32Array(record.buffer);
  recordWords[15] = 1;
  for (let i = 0; i < n; i++) {
    recordWords[0] = i;
    while (!ring.offer(record));
  }
}

function rateCase(name: string, n: number, kind: number, produce: () => void, expected: number, reps = REPS): RateResult {
  return measureRate({
    name,
    unit: 'msg/s',
    reps,
    run: () => {
      startCommand(kind, n);
      produce();
      checkSum(name, awaitCommand(), expected);
      return n;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Cases

function streamInt(rings: Rings): { spin: RateResult; park: RateResult } {
  const words = dataWords(rings.stream);
  // Spin and spin-then-park interleaved, rep by rep, so the VM's drift hits both alike.
  const spinValues: number[] = [];
  const parkValues: number[] = [];
  let notifies = 0;
  let parks = 0;
  const expected = triangle(N_INT);
  const rep = (park: boolean): number => {
    maybeGc();
    const before = readParkingCounters(rings.stream.header);
    const t0 = process.hrtime.bigint();
    startCommand(park ? command.sinkIntPark : command.sinkInt, N_INT);
    produceInt(rings.stream, words, N_INT, park);
    checkSum('int32 stream', awaitCommand(), expected);
    const rate = N_INT / (Number(process.hrtime.bigint() - t0) / 1e9);
    const after = readParkingCounters(rings.stream.header);
    if (park) {
      notifies += after.notifies - before.notifies;
      parks += after.parks - before.parks;
    }
    return rate;
  };
  rep(false);
  rep(true);
  notifies = 0;
  parks = 0;
  for (let r = 0; r < REPS; r++) {
    spinValues.push(rep(false));
    parkValues.push(rep(true));
  }
  const spin = summary('SPSC int32 frames, reserve+commit+publish per frame, consumer spins', spinValues);
  const park = summary('SPSC int32 frames, per frame + wakeIfParked, consumer spins 1000 polls then parks', parkValues);
  emit(spin, { n: N_INT, capacityBytes: STREAM_CAPACITY_BYTES, reference: 35.5e6 });
  emit(park, { n: N_INT, notifies, parks, notifiesPerPark: parks === 0 ? null : notifies / parks, reference: 27.8e6 });
  if (parks > 0) {
    emitRatio({
      name: 'notifies per park, steady streaming, spin 1000 then park (G7)',
      numerator: notifies,
      denominator: parks,
      goal: 1.5,
      goalKind: 'max',
      extra: { notifies, parks, reps: REPS },
    });
  } else {
    process.stderr.write('ring.bench: the consumer never parked while streaming, so G7 (notifies per park) is not measured\n');
  }
  emitRatio({ name: 'parking-capable stream / pure-spin stream (G8)', numerator: park, denominator: spin, goal: 0.75, goalKind: 'min' });
  return { spin, park };
}

function summary(name: string, values: number[]): RateResult {
  const sorted = [...values].sort((a, b) => a - b);
  return { name, unit: 'msg/s', values, median: quantile(sorted, 0.5), min: sorted[0]!, max: sorted[sorted.length - 1]!, reps: values.length };
}

function pingPongRing(rings: Rings): ReturnType<typeof measureLatency> {
  const pingWords = dataWords(rings.ping);
  const pongWords = dataWords(rings.pong);
  const { ping, pong } = rings;
  const warmup = 1;
  let value = 0;
  startCommand(command.echo, (warmup + REPS) * RTT_SAMPLES);
  const rtt = measureLatency({
    name: 'SPSC ping-pong RTT, int32 frames, both sides spin',
    samples: RTT_SAMPLES,
    reps: REPS,
    warmup,
    sample: () => {
      let offset = ping.tryReserve(4);
      while (offset < 0) offset = ping.tryReserve(4);
      pingWords[offset >> 2] = value;
      ping.commit(4);
      ping.publish();
      let view = pong.readView();
      while (view === null) view = pong.readView();
      if (pongWords[view.offset >> 2] !== value) throw new Error('ping-pong: wrong echo');
      pong.release();
      value++;
    },
  });
  checkSum('ping-pong', awaitCommand(), triangle(value));
  emit(rtt, { referenceNs: 170 });
  return rtt;
}

// ---------------------------------------------------------------------------------------------
// postMessage baselines

async function postMessageCases(): Promise<{ oneWay: RateResult; batched: RateResult; rtt: LatencyResult }> {
  const post = await startPostWorker();
  const { worker, reply } = post;

  const oneWay = await measureRateAsync({
    name: 'postMessage one-way main->worker, {type, n} per post',
    unit: 'msg/s',
    reps: REPS,
    run: async () => {
      const done = reply();
      worker.postMessage({ type: 'start', n: N_POST });
      for (let i = 0; i < N_POST; i++) worker.postMessage({ type: 'ping', n: i });
      await done;
      return N_POST;
    },
  });
  emit(oneWay, { n: N_POST, reference: 0.71e6 });

  const batched = await measureRateAsync({
    name: `postMessage one-way main->worker, ${POST_BATCH} messages per post (array)`,
    unit: 'msg/s',
    reps: REPS,
    run: async () => {
      const done = reply();
      worker.postMessage({ type: 'start', n: N_POST_BATCHED });
      for (let i = 0; i < N_POST_BATCHED; i += POST_BATCH) {
        const batch = new Array<{ type: string; n: number }>(POST_BATCH);
        for (let k = 0; k < POST_BATCH; k++) batch[k] = { type: 'ping', n: i + k };
        worker.postMessage(batch);
      }
      await done;
      return N_POST_BATCHED;
    },
  });
  emit(batched, { n: N_POST_BATCHED, reference: 2.6e6 });

  const rtt = await measurePostRtt(post, POST_RTT_SAMPLES, REPS);
  emit(rtt, { referenceNs: 69_000 });
  await worker.terminate();
  return { oneWay, batched, rtt };
}

// ---------------------------------------------------------------------------------------------

export async function run(): Promise<void> {
  const rings: Rings = {
    stream: SpscRing.create(STREAM_CAPACITY_BYTES),
    stream64: SpscRing.create(STREAM_CAPACITY_BYTES),
    ping: SpscRing.create(PING_CAPACITY_BYTES),
    pong: SpscRing.create(PING_CAPACITY_BYTES),
  };
  const data: RingWorkerData = {
    role: 'ring',
    control: control.buffer as SharedArrayBuffer,
    stream: rings.stream.buffer as SharedArrayBuffer,
    stream64: rings.stream64.buffer as SharedArrayBuffer,
    ping: rings.ping.buffer as SharedArrayBuffer,
    pong: rings.pong.buffer as SharedArrayBuffer,
  };
  const worker = new Worker(new URL('./ring-worker.js', import.meta.url), { workerData: data });
  await new Promise((resolve) => worker.once('message', resolve));

  const { spin: intSpin } = streamInt(rings);

  const words = dataWords(rings.stream);
  const intOffer = rateCase(
    'SPSC int32 frames, offer(Uint8Array(4)) per frame, consumer spins',
    N_INT,
    command.sinkInt,
    () => produceIntOffer(rings.stream, N_INT),
    triangle(N_INT),
  );
  emit(intOffer, { n: N_INT });
  const intBatched = rateCase(
    'SPSC int32 frames, batches of 64 (one publish), consumer drains',
    N_BATCH,
    command.sinkIntDrain,
    () => produceIntBatched(rings.stream, words, N_BATCH, 64),
    triangle(N_BATCH),
  );
  emit(intBatched, { n: N_BATCH, reference: 503e6 });
  const rec64 = rateCase(
    'SPSC 64-byte frames, offer (copy in), readView + copy out, consumer spins',
    N_64,
    command.sink64,
    () => produce64(rings.stream64, N_64),
    (triangle(N_64) + N_64) | 0,
  );
  emit(rec64, { n: N_64, mbPerS: (rec64.median * 64) / 1e6, reference: 14.1e6 });
  const rec64Poll = rateCase(
    'SPSC 64-byte frames, offer (copy in), poll() (fresh copy out), consumer spins',
    N_64,
    command.sink64Poll,
    () => produce64(rings.stream64, N_64),
    sumOfLowBytes(N_64),
  );
  emit(rec64Poll, { n: N_64 });

  const ringRtt = pingPongRing(rings);

  startCommand(command.exit, 0);
  await worker.terminate();

  const post = await postMessageCases();

  emitRatio({ name: 'ring int32 per frame / postMessage unbatched', numerator: intSpin, denominator: post.oneWay, goalKind: 'min' });
  emitRatio({ name: 'ring int32 batch-64 / postMessage batched-64', numerator: intBatched, denominator: post.batched, goalKind: 'min' });
  emitRatio({ name: 'ring 64-byte frames / postMessage unbatched', numerator: rec64, denominator: post.oneWay, goalKind: 'min' });
  emitRatio({ name: 'postMessage RTT / ring spin RTT (G4: ring >= 100x faster)', numerator: post.rtt, denominator: ringRtt, goal: 100, goalKind: 'min' });
}

/** Sum of byte 0 of each 64-byte record i (the low byte of i) for i < n. */
function sumOfLowBytes(n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum = (sum + (i & 255)) | 0;
  return sum;
}
