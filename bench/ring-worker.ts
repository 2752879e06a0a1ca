// Worker side of bench/ring.bench.ts (compiled to dist/bench/ring-worker.js; run-all only runs
// *.bench.js, so this file is never run on its own).
//
// Two roles, chosen by workerData.role:
// - 'ring': the consumer (and echo side) of the ring cases. It blocks in Atomics.wait on a shared
//   control block for a command, runs it with the rings it attached at start, writes the result,
//   and signals completion by storing a sequence number (and notifying). No postMessage is
//   involved, so nothing but the ring is in the measured path.
// - 'post': the postMessage baselines: counts one-way messages (single or arrays of 64) and
//   answers 'done', echoes each 'echo' message, and gives back each transferred 'buffer'.

import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SpinThenPark, SpscRing } from '../actors/ring/index.js';
import { ringHeaderBytes } from '../actors/ring/layout.js';
import { createRealClock } from '../drivers/clock/real.js';

/** Int32 words of the control block; main writes line 0, the worker line 1; the result is a float64 on line 2. */
export const controlBytes = 256;
export const commandSeqWord = 0;
export const commandKindWord = 1;
export const commandCountWord = 2;
export const doneSeqWord = 16;
export const resultFloat = 16; // Float64Array index = byte 128

// Checksums are int32 sums that wrap (`(sum + v) | 0`): a sum past 2^30 would otherwise be a heap
// number, and one captured by the drain handler's closure would allocate on every frame.
export const command = {
  /** n int32 frames, one readView/release each; result: sum of the values. */
  sinkInt: 1,
  /** n int32 frames via drain(…, 4096); result: sum. */
  sinkIntDrain: 2,
  /** n 64-byte frames, readView + copy 16 words out + release; result: sum of words 0 and 15. */
  sink64: 3,
  /** n 64-byte frames via poll() (a copied Uint8Array each); result: sum of byte 0. */
  sink64Poll: 4,
  /** n round trips: int32 frame in on ring A, the same value back on ring B; result: sum. */
  echo: 5,
  /** as sinkInt, but idle with SpinThenPark (1000 polls, then Atomics.wait); result: sum. */
  sinkIntPark: 6,
  exit: 7,
} as const;

export interface RingWorkerData {
  readonly role: 'ring';
  readonly control: SharedArrayBuffer;
  /** stream: main -> worker throughput rings; ping/pong: main -> worker and back. */
  readonly stream: SharedArrayBuffer;
  readonly stream64: SharedArrayBuffer;
  readonly ping: SharedArrayBuffer;
  readonly pong: SharedArrayBuffer;
}

/** An Int32Array over a ring's data region: frame offsets are 4-aligned, so offset >> 2 indexes it. */
export function dataWords(ring: SpscRing): Int32Array {
  return new Int32Array(ring.buffer, ringHeaderBytes, ring.capacityBytes / 4);
}

function sinkInt(ring: SpscRing, words: Int32Array, n: number): number {
  let sum = 0;
  for (let k = 0; k < n; ) {
    const view = ring.readView();
    if (view === null) continue;
    sum = (sum + words[view.offset >> 2]!) | 0;
    ring.release();
    k++;
  }
  return sum;
}

function sinkIntDrain(ring: SpscRing, words: Int32Array, n: number): number {
  let sum = 0;
  let k = 0;
  const handler = (_bytes: Uint8Array, offset: number): void => {
    sum = (sum + words[offset >> 2]!) | 0;
  };
  while (k < n) k += ring.drain(handler, 4_096);
  return sum;
}

function sink64(ring: SpscRing, words: Int32Array, n: number): number {
  const local = new Int32Array(16);
  let sum = 0;
  for (let k = 0; k < n; ) {
    const view = ring.readView();
    if (view === null) continue;
    const first = view.offset >> 2;
    for (let i = 0; i < 16; i++) local[i] = words[first + i]!;
    ring.release();
    sum = (sum + local[0]! + local[15]!) | 0;
    k++;
  }
  return sum;
}

function sink64Poll(ring: SpscRing, n: number): number {
  let sum = 0;
  for (let k = 0; k < n; ) {
    const copy = ring.poll();
    if (copy === null) continue;
    sum = (sum + copy[0]!) | 0;
    k++;
  }
  return sum;
}

function echo(ping: SpscRing, pingWords: Int32Array, pong: SpscRing, pongWords: Int32Array, n: number): number {
  let sum = 0;
  for (let k = 0; k < n; ) {
    const view = ping.readView();
    if (view === null) continue;
    const value = pingWords[view.offset >> 2]!;
    ping.release();
    let offset = pong.tryReserve(4);
    while (offset < 0) offset = pong.tryReserve(4);
    pongWords[offset >> 2] = value;
    pong.commit(4);
    pong.publish();
    sum = (sum + value) | 0;
    k++;
  }
  return sum;
}

function sinkIntPark(ring: SpscRing, words: Int32Array, n: number, idle: SpinThenPark): number {
  let sum = 0;
  for (let k = 0; k < n; ) {
    const view = ring.readView();
    if (view === null) {
      idle.awaitData(ring);
      continue;
    }
    sum = (sum + words[view.offset >> 2]!) | 0;
    ring.release();
    k++;
  }
  return sum;
}

function serveRing(data: RingWorkerData): void {
  const control = new Int32Array(data.control);
  const result = new Float64Array(data.control);
  const stream = SpscRing.attach(data.stream);
  const stream64 = SpscRing.attach(data.stream64);
  const ping = SpscRing.attach(data.ping);
  const pong = SpscRing.attach(data.pong);
  const words = { stream: dataWords(stream), stream64: dataWords(stream64), ping: dataWords(ping), pong: dataWords(pong) };
  const idle = new SpinThenPark({ spinPollsMax: 1_000, waiter: createRealClock() });
  parentPort!.postMessage('ready');
  for (let seq = 1; ; seq++) {
    // Sleep between commands (not measured): the main thread stores the new sequence and notifies.
    while (Atomics.load(control, commandSeqWord) < seq) Atomics.wait(control, commandSeqWord, seq - 1);
    const n = control[commandCountWord]!;
    let sum = 0;
    switch (control[commandKindWord]) {
      case command.sinkInt:
        sum = sinkInt(stream, words.stream, n);
        break;
      case command.sinkIntDrain:
        sum = sinkIntDrain(stream, words.stream, n);
        break;
      case command.sink64:
        sum = sink64(stream64, words.stream64, n);
        break;
      case command.sink64Poll:
        sum = sink64Poll(stream64, n);
        break;
      case command.echo:
        sum = echo(ping, words.ping, pong, words.pong, n);
        break;
      case command.sinkIntPark:
        sum = sinkIntPark(stream, words.stream, n, idle);
        break;
      case command.exit:
        return;
    }
    result[resultFloat] = sum;
    // Publishes the result written above; the main thread sleeps on this word.
    Atomics.store(control, doneSeqWord, seq);
    Atomics.notify(control, doneSeqWord);
  }
}

function servePost(): void {
  let expected = 0;
  let received = 0;
  parentPort!.on('message', (message: unknown) => {
    if (Array.isArray(message)) {
      received += message.length;
    } else {
      const typed = message as { type: string; n: number };
      if (typed.type === 'echo') {
        parentPort!.postMessage(typed);
        return;
      }
      if (typed.type === 'buffers') {
        // Transferred buffers, a batch: read each, and give them all back the same way.
        const buffers = (message as { buffers: ArrayBuffer[] }).buffers;
        let sum = 0;
        for (const buffer of buffers) {
          const bytes = new Uint8Array(buffer);
          sum += bytes[0]! + bytes[bytes.length - 1]!;
        }
        parentPort!.postMessage({ type: 'buffers', buffers, sum }, buffers);
        return;
      }
      if (typed.type === 'buffer') {
        // A transferred buffer: read it, and give it back the same way.
        const buffer = (message as { buffer: ArrayBuffer }).buffer;
        const bytes = new Uint8Array(buffer);
        parentPort!.postMessage({ type: 'buffer', buffer, sum: bytes[0]! + bytes[bytes.length - 1]! }, [buffer]);
        return;
      }
      if (typed.type === 'start') {
        expected = typed.n;
        received = 0;
        return;
      }
      received++;
    }
    if (received === expected) parentPort!.postMessage({ type: 'done', n: received });
  });
  parentPort!.postMessage('ready');
}

if (!isMainThread) {
  const data = workerData as RingWorkerData | { readonly role: 'post' };
  if (data.role === 'ring') serveRing(data);
  else servePost();
}
