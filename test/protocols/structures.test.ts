/**
 * Goal: shapes first seen mid-stream never decode to garbage. An encoder learns a shape and uses
 * its id at once; a decoder that imported the encoder's table decodes the frame, one that did not
 * gets a ProtocolError. The table is bounded, append-only and cannot be poisoned by a frame.
 */
import { expect } from 'chai';
// msgpackr's plain entry, as the codec imports it: its main entry would load the native string addon for every test in this process.
import { Unpackr, pack } from 'msgpackr/pack';
import { KERNEL_ENVELOPE, KERNEL_STOP, runtimeDescriptors } from '../../protocols/runtime.js';
import { createFrameCodec } from '../../protocols/frame-codec.js';
import type { KernelEnvelope, KernelMessage } from '../../protocols/runtime.js';
import type { StructureList } from '../../protocols/structure-table.js';
import { protocolErrorOf } from '../helpers/errors.js';

const seedCount = runtimeDescriptors.length;

function envelope(body: unknown): KernelEnvelope {
  return { type: KERNEL_ENVELOPE, to: 1, from: 0, askId: 0, body };
}

describe('protocols/structures', () => {
  it('starts every runtime codec from the same seeds, one per kernel message type', () => {
    const codec = createFrameCodec();
    expect(codec.structureCount).to.equal(seedCount);
    expect(codec.importedStructureCount).to.equal(seedCount);
    expect(codec.exportStructures()).to.deep.equal(createFrameCodec().exportStructures());
    expect(codec.exportStructures()[0]).to.deep.equal(['type', 'to', 'from', 'askId', 'body']);
  });

  it('shows why the decoder needs a guard: plain msgpackr turns an unknown id into a number', () => {
    const sender = createFrameCodec();
    const frame = sender.encode(envelope({}));
    // The same table the receiver has before any import: the seeds only.
    const seeds = sender
      .exportStructures()
      .slice(0, seedCount)
      .map((keys) => [...keys]) as string[][] & { sharedLength?: number };
    seeds.sharedLength = seedCount;
    const plain = new Unpackr({ useRecords: true, structures: seeds, mapsAsObjects: true });
    // The empty body's shape is id 0x45; msgpackr reads the byte as the integer 69, and the
    // resulting message would even validate (`body` is `any`).
    expect(plain.unpack(frame)).to.deep.equal({ ...envelope(undefined), body: 0x40 + seedCount });
  });

  it('decodes a mid-stream shape after import, and refuses it before', () => {
    const sender = createFrameCodec();
    const receiver = createFrameCodec();
    const message = envelope({ x: 1, label: 'first of its shape' });
    const frame = sender.encode(message);
    expect(sender.structureCount).to.equal(seedCount + 1);

    const error = protocolErrorOf(() => receiver.decode(frame));
    expect([error.code, error.detail]).to.deep.equal(['malformed', 'frame']);
    expect(error.message).to.match(/not imported/);

    receiver.importStructures(sender.exportStructures());
    expect(receiver.importedStructureCount).to.equal(seedCount + 1);
    expect(receiver.decode(frame)).to.deep.equal(message);
    // The same shape again needs no further sync.
    const again = envelope({ x: 2, label: 'second' });
    expect(receiver.decode(sender.encode(again))).to.deep.equal(again);
    expect(sender.structureCount).to.equal(seedCount + 1);
  });

  it('refuses unknown shapes nested inside known ones', () => {
    const sender = createFrameCodec();
    const receiver = createFrameCodec();
    sender.encode(envelope({ outer: 1 }));
    receiver.importStructures(sender.exportStructures());
    const nested = envelope({ outer: [{ inner: true }] });
    const frame = sender.encode(nested);
    expect(protocolErrorOf(() => receiver.decode(frame)).code).to.equal('malformed');
    receiver.importStructures(sender.exportStructures());
    expect(receiver.decode(frame)).to.deep.equal(nested);
  });

  it('respects the bound: past it new shapes travel as plain maps, never dropped', () => {
    const structureCountMax = seedCount + 3;
    const sender = createFrameCodec(undefined, { structureCountMax });
    const receiver = createFrameCodec(undefined, { structureCountMax });
    const messages = Array.from({ length: 12 }, (_, index) => envelope({ [`shape${index}`]: index }));
    const frames = messages.map((message) => sender.encode(message));
    expect(sender.structureCount).to.equal(structureCountMax);
    receiver.importStructures(sender.exportStructures());
    frames.forEach((frame, index) => expect(receiver.decode(frame)).to.deep.equal(messages[index]));
    // A shape past the bound is a map: its key is spelled out in the frame.
    const late = Buffer.from(frames[11] as Uint8Array).toString('latin1');
    expect(late).to.contain('shape11');
    expect(Buffer.from(frames[0] as Uint8Array).toString('latin1')).not.to.contain('shape0');
  });

  it('supports tables past 32 shapes, whose ids take two bytes', () => {
    const structureCountMax = 48;
    const sender = createFrameCodec(undefined, { structureCountMax });
    const receiver = createFrameCodec(undefined, { structureCountMax });
    const messages = Array.from({ length: 60 }, (_, index) => envelope({ [`k${index}`]: [index] }));
    const frames = messages.map((message) => sender.encode(message));
    expect(sender.structureCount).to.equal(structureCountMax);
    receiver.importStructures(sender.exportStructures());
    frames.forEach((frame, index) => expect(receiver.decode(frame)).to.deep.equal(messages[index]));
  });

  it('imports in steps, ignores an older prefix and refuses a conflicting table', () => {
    const sender = createFrameCodec();
    const receiver = createFrameCodec();
    sender.encode(envelope({ a: 1 }));
    const early = sender.exportStructures();
    receiver.importStructures(early);
    sender.encode(envelope({ b: 1 }));
    receiver.importStructures(sender.exportStructures());
    expect(receiver.importedStructureCount).to.equal(seedCount + 2);
    receiver.importStructures(early); // late delivery of an older export: a prefix, nothing changes
    expect(receiver.importedStructureCount).to.equal(seedCount + 2);

    const conflicting = [...early.slice(0, seedCount), ['z']];
    const error = protocolErrorOf(() => receiver.importStructures(conflicting));
    expect([error.code, error.detail]).to.deep.equal(['malformed', `structures[${seedCount}]`]);
    // Another registry order means other seeds: caught by the first import, not by garbage later.
    const reordered = [early[1], early[0], ...early.slice(2)] as StructureList;
    expect(protocolErrorOf(() => createFrameCodec().importStructures(reordered)).detail).to.equal('structures[0]');
  });

  it('refuses malformed and oversized tables', () => {
    const receiver = createFrameCodec(undefined, { structureCountMax: runtimeDescriptors.length + 3 });
    const seeds = receiver.exportStructures();
    const bad: ReadonlyArray<readonly [unknown, string]> = [
      ['not a list', 'malformed'],
      [[...seeds, 'keys'], 'malformed'],
      [[...seeds, [1, 2]], 'malformed'],
      [[...seeds, ['a', 'a']], 'malformed'],
      [[...seeds, ['__proto__']], 'malformed'],
      [[...seeds, ['x'.repeat(20_000)]], 'malformed'],
      [[...seeds, Array.from({ length: 300 }, (_, index) => `k${index}`)], 'too-large'],
      [[...seeds, ['a'], ['b'], ['c'], ['d']], 'too-large'],
    ];
    for (const [list, code] of bad) expect(protocolErrorOf(() => receiver.importStructures(list as StructureList)).code).to.equal(code);
    expect(receiver.importedStructureCount).to.equal(seeds.length);
  });

  it('contains an in-band record definition to its own frame', () => {
    const receiver = createFrameCodec();
    const stop: KernelMessage = { type: KERNEL_STOP, to: 4, reason: 'shutdown' };
    const stopFrame = createFrameCodec().encode(stop);
    // 0xd4 0x72 0x02 redefines id 0x42 (the kernel.stop seed) as ['type', 'to', 'from', 'reason', 'linked'].
    const forged = Uint8Array.from([
      0xd4,
      0x72,
      0x02,
      0x95,
      ...['type', 'to', 'from', 'reason', 'linked'].flatMap((key) => [...pack(key)]),
      ...pack('kernel.exit'),
      1,
      2,
      ...pack('x'),
      0xc3,
    ]);
    expect(receiver.decode(forged)).to.deep.equal({ type: 'kernel.exit', to: 1, from: 2, reason: 'x', linked: true });
    // The next frame using id 0x42 still means kernel.stop.
    expect(receiver.decode(stopFrame)).to.deep.equal(stop);
  });

  it('runs without structures when both peers turn them off', () => {
    const sender = createFrameCodec(undefined, { structures: false });
    const receiver = createFrameCodec(undefined, { structures: false });
    expect([sender.structures, sender.structureCount, sender.exportStructures()]).to.deep.equal([false, 0, []]);
    receiver.importStructures([]);
    const message = envelope({ any: ['shape', { works: true }] });
    expect(receiver.decode(sender.encode(message))).to.deep.equal(message);
    expect(protocolErrorOf(() => receiver.importStructures([['a']])).code).to.equal('malformed');
  });
});
