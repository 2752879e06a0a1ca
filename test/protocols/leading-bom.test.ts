/**
 * Goal: a string that starts with U+FEFF arrives whole through the codec, however long it is (up to
 * the codec's string bound) and wherever it sits (a body, a key, a record, a frame in shared
 * memory), with msgpackr's native string addon loaded or not; and bytes that only look like such a
 * string stay as they are.
 */
import { Worker } from 'node:worker_threads';
import { expect } from 'chai';
import { unpack } from 'msgpackr/pack';
import fc from 'fast-check';
import { createFrameCodec } from '../../protocols/frame-codec.js';
import { mendLeadingBoms } from '../../protocols/leading-bom.js';
import { textArbitrary } from './arbitraries.js';
import { protocolErrorOf } from '../helpers/errors.js';

const bom = '\ufeff';

/**
 * Strings around the 64 bytes past which msgpackr decodes with a TextDecoder, most of them led by
 * the mark; the longest (8 000 units) kept short enough that six of them fit in a frame.
 */
const markedText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(bom, bom, `${bom}${bom}`, ''),
    fc.oneof(textArbitrary(8), fc.string({ minLength: 55, maxLength: 80 }), textArbitrary(300), fc.constant('z'.repeat(8_000))),
  )
  .map(([front, rest]) => front + rest);

const markedValue: fc.Arbitrary<unknown> = fc.oneof(
  markedText,
  fc.array(markedText, { maxLength: 4 }),
  // Keys made distinct by their index: a dictionary of such alike keys took fast-check minutes to fill.
  fc
    .array(fc.tuple(markedText, markedText), { maxLength: 3 })
    .map((pairs) => Object.fromEntries(pairs.map(([key, value], index) => [`${key}#${index}`, value]))),
  fc.record({ id: fc.nat(), text: markedText, bytes: fc.uint8Array({ maxLength: 8 }) }),
);

function inSharedMemory(bytes: Uint8Array, offset: number, length: number): Uint8Array {
  const shared = new Uint8Array(new SharedArrayBuffer(length + 16));
  shared.set(bytes.subarray(offset, offset + length), 16);
  return shared;
}

describe('protocols: strings that start with a byte order mark', () => {
  for (const structures of [true, false]) {
    it(`arrive whole in message bodies, from plain and shared memory (structures ${structures ? 'on' : 'off'}, property)`, () => {
      const sender = createFrameCodec(undefined, { structures });
      const receiver = createFrameCodec(undefined, { structures });
      fc.assert(
        fc.property(markedValue, (value) => {
          const encoded = sender.encodeData(value, 'body');
          const { bytes, offset, length } = encoded;
          if (structures) receiver.importStructures(sender.exportStructures());
          expect(receiver.decodeDataRange(bytes, offset, offset + length, 'body')).to.deep.equal(value);
          expect(receiver.decodeDataRange(inSharedMemory(bytes, offset, length), 16, 16 + length, 'body')).to.deep.equal(value);
        }),
        { numRuns: 200 },
      );
    });
  }

  it('leave alone bytes that only look like a marked string: a binary field holding them', () => {
    const lookalike = new Uint8Array([0xd9, 70, 0xef, 0xbb, 0xbf, ...new Uint8Array(70).fill(0x61)]);
    const codec = createFrameCodec(undefined, { structures: false });
    const encoded = codec.encodeData({ raw: lookalike, text: `${bom}${'q'.repeat(80)}` }, 'body');
    const copy = encoded.bytes.slice(encoded.offset, encoded.offset + encoded.length);
    expect(codec.decodeDataRange(copy, 0, copy.length, 'body')).to.deep.equal({ raw: lookalike, text: `${bom}${'q'.repeat(80)}` });
  });

  it('mend nothing in a frame without a marked string of more than 64 bytes', () => {
    const codec = createFrameCodec(undefined, { structures: false });
    for (const value of [
      `${bom}${'a'.repeat(61)}`,
      `a${bom}${'a'.repeat(100)}`,
      `a${bom}${'a'.repeat(1000)}`,
      { key: 'ï»¿'.repeat(30) },
      new Uint8Array(100).fill(0xef),
      new Uint8Array(5000).fill(0xef),
    ]) {
      const encoded = codec.encodeData(value, 'body');
      const shared = inSharedMemory(encoded.bytes, encoded.offset, encoded.length);
      expect(mendLeadingBoms(shared, 16, 16 + encoded.length, []), JSON.stringify(value)).to.equal(null);
      expect(codec.decodeDataRange(shared, 16, 16 + encoded.length, 'body')).to.deep.equal(value);
    }
  });

  it('keep their mark where the mend makes a string header longer (str8 to str16, str16 to str32)', () => {
    for (const bytes of [65, 252, 253, 255, 0xfffc, 0xffff]) {
      const string = `${bom}${'s'.repeat(bytes - 3)}`;
      const header = bytes <= 0xff ? [0xd9, bytes] : [0xda, bytes >> 8, bytes & 0xff];
      const frame = new Uint8Array(new SharedArrayBuffer(header.length + 2 + bytes));
      frame.set([0x92, ...header, ...new TextEncoder().encode(string), 0x07]);
      const mended = mendLeadingBoms(frame, 0, frame.length, []);
      expect(unpack(mended ?? frame), `${bytes} bytes`).to.deep.equal([string, 7]);
    }
  });

  it('keep their mark in records with two-byte ids (a table of about 7 000 shapes)', () => {
    // The id past 6 976 shapes is written 0x60–0x7f and a high byte of 0xd9: read as a token, that
    // byte is a str8 header, and a walk that took the id for one byte lost its place.
    const countMax = 7_000;
    const sender = createFrameCodec(undefined, { structureCountMax: countMax });
    const receiver = createFrameCodec(undefined, { structureCountMax: countMax });
    for (let shape = 0; sender.structureCount < 6_976; shape++) sender.encodeData({ [`k${shape}`]: 0 }, 'body');
    const lookalike = Uint8Array.of(0xd9, 70, 0xef, 0xbb, 0xbf, ...new Uint8Array(70).fill(0x61));
    const value = { raw: lookalike, text: `${bom}${'r'.repeat(90)}` };
    const encoded = sender.encodeData(value, 'body');
    receiver.importStructures(sender.exportStructures());
    const shared = inSharedMemory(encoded.bytes, encoded.offset, encoded.length);
    expect([shared[16]! & 0xe0, shared[17]], 'a two-byte id').to.deep.equal([0x60, 0xd9]);
    expect(receiver.decodeDataRange(shared, 16, 16 + encoded.length, 'body')).to.deep.equal(value);
  });

  it('leave frames that define records in-band or bundle strings as msgpackr reads them', () => {
    const marked = [0xd9, 70, 0xef, 0xbb, 0xbf, ...new Uint8Array(67).fill(0x61)];
    for (const extension of [
      [0xd4, 0x72, 0x40],
      [0xd5, 0x72, 0x60, 0x00],
      [0xd6, 0x62, 0, 0, 0, 0],
      [0xc7, 1, 0x62, 0],
    ]) {
      const frame = Uint8Array.of(0x92, ...extension, ...marked);
      expect(mendLeadingBoms(frame, 0, frame.length, []), extension.join(' ')).to.equal(null);
    }
  });

  it('leave truncated and malformed frames to fail as they did, as a ProtocolError', () => {
    const codec = createFrameCodec(undefined, { structures: false });
    const encoded = codec.encodeData([`${bom}${'a'.repeat(100)}`], 'body');
    const frame = encoded.bytes.slice(encoded.offset, encoded.offset + encoded.length);
    expect(protocolErrorOf(() => codec.decodeDataRange(frame, 0, frame.length - 1, 'body')).code).to.equal('truncated');
    // An array that promises two values and holds one marked string: mended, then short.
    const short = new Uint8Array(new SharedArrayBuffer(frame.length));
    short.set(frame);
    short[0] = 0x92;
    expect(mendLeadingBoms(short, 0, short.length, []), 'the frame is mended').to.not.equal(null);
    expect(protocolErrorOf(() => codec.decodeDataRange(short, 0, short.length, 'body')).code).to.equal('truncated');
    const unknownToken = Uint8Array.of(0x92, 0xc1, ...frame.subarray(1));
    expect(mendLeadingBoms(unknownToken, 0, unknownToken.length, [])).to.equal(null);
  });

  for (const loadAddon of [false, true]) {
    it(`arrive whole in a thread ${loadAddon ? 'that loaded' : 'without'} msgpackr's native string addon`, async () => {
      const worker = new Worker(new URL('./fixtures/bom-round-trip.js', import.meta.url), { workerData: { loadAddon } });
      const report = await new Promise<{ addon: boolean; sent: unknown; plain: unknown; shared: unknown }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the worker exited with code ${code} before it reported`)));
      });
      await worker.terminate();
      expect(report.addon, 'the addon loaded').to.equal(loadAddon);
      expect(report.plain).to.deep.equal(report.sent);
      expect(report.shared).to.deep.equal(report.sent);
    });
  }
});
