// The far side of bench/cpu.bench.ts's ceilings for the awake ask round trip: two rings and the
// runtime codec, nothing else. It spins on its inbound ring, reads each ask as the port reads a mail
// frame (a private copy, in place, trusting `any` fields), and answers with a reply frame holding the
// ask's number, encoded and published at once, until the main thread raises the stop word. Without
// the codec (`codec: false`) it sends every frame back as it came: the hardware's floor.
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { replyHeaderBytes, writeReplyHeader } from '../actors/cpu/mail-frames.js';
import { SpscRing } from '../actors/ring/index.js';
import { createFrameCodec } from '../protocols/frame-codec.js';
import type { StructureList } from '../protocols/structure-table.js';
import { mailFrameReader } from './mail-frame-reader.js';

export interface EchoWorkerData {
  readonly asks: SharedArrayBuffer;
  readonly replies: SharedArrayBuffer;
  /** Int32 word 0: the main thread sets it to 1 to stop the worker. */
  readonly stop: SharedArrayBuffer;
  readonly structures: StructureList;
  /** False: echo each frame's bytes, decoding and encoding nothing. */
  readonly codec: boolean;
}

if (!isMainThread) {
  const data = workerData as EchoWorkerData;
  const asks = SpscRing.attach(data.asks);
  const replies = SpscRing.attach(data.replies);
  const stop = new Int32Array(data.stop);
  const read = mailFrameReader(data.structures);
  const codec = createFrameCodec();
  let replyView: DataView = new DataView(new ArrayBuffer(0));
  const answer = (bytes: Uint8Array, offset: number, length: number): void => {
    const ask = read(bytes, offset, length) as { askId: number; from: number; body: { n: number } };
    const frame = codec.encodeData(ask.body.n, 'body', replyHeaderBytes);
    if (replyView.buffer !== frame.bytes.buffer) replyView = new DataView(frame.bytes.buffer);
    writeReplyHeader(replyView, frame.bytes.byteOffset + frame.offset, ask.askId, ask.from, true);
    replies.offerRange(frame.bytes, frame.offset, frame.length);
  };
  const echo = (bytes: Uint8Array, offset: number, length: number): void => {
    replies.offerRange(bytes, offset, length);
  };
  const handle = data.codec ? answer : echo;
  parentPort!.postMessage('ready');
  while (Atomics.load(stop, 0) === 0) asks.drain(handle, 64);
}
