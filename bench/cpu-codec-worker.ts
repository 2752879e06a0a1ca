// The consumer of bench/cpu.bench.ts's bare baseline: a ring and the runtime codec, nothing else.
// It reads each mail frame with the port's codec settings (from a private copy, in place, trusting
// `any` fields, as CpuPort does) and counts; the main thread waits on
// a shared word for the count it asked for.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SpscRing } from '../actors/ring/index.js';
import type { StructureList } from '../protocols/structure-table.js';
import { mailFrameReader } from './mail-frame-reader.js';

export interface CodecWorkerData {
  readonly ring: SharedArrayBuffer;
  /** Int32 words: [0] count wanted (main), [1] round (main), [16] round done (worker). */
  readonly control: SharedArrayBuffer;
  readonly structures: StructureList;
}

export const wantedWord = 0;
export const roundWord = 1;
export const doneWord = 16;

if (!isMainThread) {
  const data = workerData as CodecWorkerData;
  const ring = SpscRing.attach(data.ring);
  const control = new Int32Array(data.control);
  const read = mailFrameReader(data.structures);
  let count = 0;
  let check = 0;
  const handle = (bytes: Uint8Array, offset: number, length: number): void => {
    const message = read(bytes, offset, length) as { body: { seq: number } };
    check = (check + message.body.seq) | 0;
    count++;
  };
  parentPort!.postMessage('ready');
  for (let round = 1; ; round++) {
    while (Atomics.load(control, roundWord) < round) Atomics.wait(control, roundWord, round - 1);
    const wanted = Atomics.load(control, wantedWord);
    if (wanted < 0) break;
    count = 0;
    while (count < wanted) ring.drain(handle, 4_096);
    Atomics.store(control, doneWord, round);
    Atomics.notify(control, doneWord);
  }
  void check;
}
