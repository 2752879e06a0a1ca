/**
 * Goal: the codec's fast path for message bodies writes what a peer's unchanged decoder reads back
 * as the same value, never lets through what the plain-data check refuses, and shares shapes through
 * the table msgpackr's encoder uses, so the sync rule holds for both.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { isWellFormedString } from '../../protocols/field-spec.js';
import { createFrameCodec } from '../../protocols/frame-codec.js';
import { arrayCountMax, frameBytesMax, nestingDepthMax, shapeNodeCountMax, stringLengthMax, structureCountMax } from '../../protocols/limits.js';
import { PlainDataWriter } from '../../protocols/plain-data-writer.js';
import { KERNEL_ENVELOPE, KERNEL_STOP, runtimeDescriptors } from '../../protocols/runtime.js';
import { validatePlainData } from '../../protocols/schema.js';
import { exportTable, seedStructures, type MsgpackrTable } from '../../protocols/structure-table.js';
import type { PortableObjects } from '../../protocols/validate.js';
import { plainValueArbitrary, textArbitrary } from './arbitraries.js';
import { protocolErrorOf } from '../helpers/errors.js';

/** How many shapes the runtime's codecs start with: one a frame type, duplicates left out. */
const seedCount = seedStructures(runtimeDescriptors, structureCountMax).length;

/** An object that is not plain data but may travel, as refs do between CPUs. */
class Token {
  constructor(readonly id: number) {}
  toJSON(): { '@token': number } {
    return { '@token': this.id };
  }
}
const portableTokens: PortableObjects = { accepts: (value) => value instanceof Token, reservedKey: '@token' };

/** A writer with the runtime codec's seeds, and a receiving codec that imports what it shares. */
function link(options: { structures?: boolean; countMax?: number; portable?: PortableObjects | null } = {}) {
  const structures = options.structures ?? true;
  const countMax = options.countMax ?? structureCountMax;
  let table: MsgpackrTable | null = null;
  if (structures) {
    table = seedStructures(runtimeDescriptors, countMax).map((keys) => [...keys]);
    table.sharedLength = table.length;
  }
  const writer = new PlainDataWriter(table, countMax, options.portable ?? null);
  const receiver = createFrameCodec(undefined, { structures, structureCountMax: countMax });
  return {
    writer,
    /** The shapes shared so far. */
    shared: () => table?.sharedLength ?? 0,
    /** Writes `value` behind `headroom` bytes and decodes it as a peer would; throws if the fast path refused it. */
    roundTrip(value: unknown, headroom = 0): unknown {
      expect(writer.write(value, headroom), 'the fast path takes it').to.equal(true);
      if (table !== null && (table.sharedLength ?? 0) > receiver.importedStructureCount) receiver.importStructures(exportTable(table));
      return receiver.decodeDataRange(writer.bytes, headroom, writer.length, 'body');
    },
  };
}

const noNegativeZero = (value: number): number => (Object.is(value, -0) ? 0 : value);

/** Integers at every boundary of msgpack's forms, on both sides of the record ids' 0x40–0x7f. */
const boundaryInteger = fc.constantFrom(
  0,
  0x3f,
  0x40,
  0x7f,
  0x80,
  0xff,
  0x100,
  0xffff,
  0x10000,
  2 ** 32 - 1,
  2 ** 32,
  -1,
  -32,
  -33,
  -128,
  -129,
  -32768,
  -32769,
  -(2 ** 31),
  -(2 ** 31) - 1,
);

/** Plain data of every form the writer has, wider and longer than the shared arbitrary's. */
const widePlainValue: fc.Arbitrary<unknown> = fc.oneof(
  plainValueArbitrary,
  boundaryInteger,
  fc.double().map(noNegativeZero),
  textArbitrary(200),
  fc.string({ unit: 'binary', minLength: 60, maxLength: 300 }).filter(isWellFormedString),
  fc.array(fc.oneof(fc.integer(), fc.string()), { minLength: 15, maxLength: 40 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.integer(), { minKeys: 15, maxKeys: 30, noNullPrototype: true }).filter(noRefusedKey),
  fc.dictionary(fc.string({ maxLength: 6 }), plainValueArbitrary, { maxKeys: 5 }).filter(noRefusedKey),
  fc.uint8Array({ minLength: 250, maxLength: 70_000 }).filter((bytes) => bytes.length <= frameBytesMax - 8),
);

function noRefusedKey(object: object): boolean {
  return !Object.keys(object).some((key) => key === '__proto__' || key === 'toJSON');
}

/** Values the plain-data check refuses, each of a different cause, to mix into plain data. */
const refusedLeaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant('lone \ud800 surrogate'),
  fc.constant('\udc00'),
  fc.constant(`${'x'.repeat(70)}\ud83d`),
  fc.constant('y'.repeat(stringLengthMax + 1)),
  fc.constant(new Date(0)),
  fc.constant(new Map([[1, 2]])),
  fc.constant(new Set([1])),
  fc.constant(new Uint16Array(2)),
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
  fc.constant(new Token(1)),
  fc.constant(2n ** 64n),
  fc.constant(-(2n ** 63n) - 1n),
  fc.constant(JSON.parse('{"__proto__": 1}') as unknown),
  fc.constant({ toJSON: 1 }),
  fc.constant({ '@token': 1 }),
  fc.constant(new Array(arrayCountMax + 1).fill(0)),
  fc.constant(nested(nestingDepthMax)),
);

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level++) value = { inner: value };
  return value;
}

/** Plain data with, somewhere inside, perhaps one refused value. */
const maybeRefused: fc.Arbitrary<unknown> = fc.oneof(
  widePlainValue,
  refusedLeaf,
  fc.tuple(plainValueArbitrary, refusedLeaf).map(([value, leaf]) => ({ ok: value, bad: leaf })),
  fc.tuple(plainValueArbitrary, refusedLeaf).map(([value, leaf]) => [value, [leaf]]),
);

describe('protocols/plain-data-writer', () => {
  for (const structures of [true, false]) {
    it(`writes any plain data so that a peer's decoder reads back the same value (structures ${structures ? 'on' : 'off'})`, () => {
      const { roundTrip } = link({ structures });
      fc.assert(
        fc.property(widePlainValue, fc.integer({ min: 0, max: 255 }), (value, headroom) => {
          expect(roundTrip(value, headroom)).to.deep.equal(value);
        }),
        { numRuns: 400 },
      );
    });
  }

  it('writes objects without a prototype, holes as undefined, and a value at the deepest level', () => {
    const { roundTrip } = link();
    const bare = Object.assign(Object.create(null) as object, { a: 1, b: [2] });
    expect(roundTrip(bare)).to.deep.equal({ a: 1, b: [2] });
    // biome-ignore lint/suspicious/noSparseArray: the hole is what is tested
    expect(roundTrip([1, , 3])).to.deep.equal([1, undefined, 3]);
    // Objects at every level up to nestingDepthMax, the value 2 its first.
    const deepest = nested(nestingDepthMax - 1);
    expect(() => validatePlainData(deepest, 'body')).not.to.throw();
    expect(roundTrip(deepest)).to.deep.equal(deepest);
  });

  it('never lets through what the plain-data check refuses, with or without portable objects', () => {
    for (const portable of [null, portableTokens]) {
      const { writer } = link({ portable });
      fc.assert(
        fc.property(maybeRefused, (value) => {
          if (writer.write(value, 0)) expect(() => validatePlainData(value, 'body', portable)).not.to.throw();
        }),
        { numRuns: 600 },
      );
    }
  });

  it('leaves the errors of encodeData as the plain-data check words them', () => {
    const codec = createFrameCodec(undefined, { portableObjects: portableTokens });
    fc.assert(
      fc.property(refusedLeaf, (leaf) => {
        const value = { seq: 1, inner: [leaf] };
        fc.pre(!(leaf instanceof Token));
        const expected = protocolErrorOf(() => validatePlainData(value, 'body', portableTokens));
        const actual = protocolErrorOf(() => codec.encodeData(value, 'body', 4));
        expect([actual.code, actual.message]).to.deep.equal([expected.code, expected.message]);
      }),
    );
    const getter = {
      get boom(): number {
        throw new Error('no');
      },
    };
    expect(protocolErrorOf(() => codec.encodeData(getter, 'body')).message).to.match(/aborted by the value itself/);
    const tooLarge = protocolErrorOf(() => codec.encodeData(new Array(8).fill('z'.repeat(stringLengthMax)), 'body'));
    expect([tooLarge.code, tooLarge.detail]).to.deep.equal(['too-large', 'frame']);
    expect(tooLarge.message).to.match(/bytes exceed frameBytesMax/);
  });

  it('sends portable objects as maps of their toJSON(), counted, and refuses their key in plain data', () => {
    const { writer, roundTrip } = link({ portable: portableTokens });
    expect(roundTrip({ to: new Token(7), list: [new Token(8)] })).to.deep.equal({ to: { '@token': 7 }, list: [{ '@token': 8 }] });
    expect(writer.portables).to.equal(2);
    expect(writer.write({ '@token': 7 }, 0)).to.equal(false);
    expect(link().writer.write(new Token(7), 0), 'without portable objects, a token is refused').to.equal(false);
  });

  it('shares a new shape once, in the table msgpackr encodes with, and reuses the shapes msgpackr shared', () => {
    const sender = createFrameCodec();
    const receiver = createFrameCodec();
    const seeds = sender.structureCount;
    const send = (value: unknown) => {
      const frame = sender.encodeData(value, 'body', 0);
      if (sender.structureCount > receiver.importedStructureCount) receiver.importStructures(sender.exportStructures());
      return receiver.decodeDataRange(frame.bytes, frame.offset, frame.offset + frame.length, 'body');
    };
    expect(send({ type: 'ping', seq: 1 })).to.deep.equal({ type: 'ping', seq: 1 });
    expect(sender.structureCount).to.equal(seeds + 1);
    expect(send({ type: 'ping', seq: 2 })).to.deep.equal({ type: 'ping', seq: 2 });
    expect(sender.structureCount, 'the same shape again').to.equal(seeds + 1);
    // msgpackr shares the shape of a body inside a whole message...
    const message = { type: KERNEL_ENVELOPE, to: 1, from: 0, askId: 0, body: { x: 1, y: 2 } };
    const frame = sender.encode(message);
    expect(sender.structureCount).to.equal(seeds + 2);
    receiver.importStructures(sender.exportStructures());
    expect(receiver.decode(frame)).to.deep.equal(message);
    // ...and the fast path takes it up rather than sharing it twice; msgpackr then uses the fast path's.
    expect(send({ x: 3, y: 4 })).to.deep.equal({ x: 3, y: 4 });
    const again = { ...message, body: { type: 'ping', seq: 3 } };
    expect(receiver.decode(sender.encode(again))).to.deep.equal(again);
    expect(sender.structureCount).to.equal(seeds + 2);
  });

  it('learns a longer shape msgpackr shared without losing the shorter one it knew', () => {
    const codec = createFrameCodec();
    const seeds = codec.structureCount;
    codec.encodeData({ a: 1, b: 2 }, 'body', 0);
    codec.encode({ type: KERNEL_ENVELOPE, to: 1, from: 0, askId: 0, body: { a: 1, b: 2, c: 3 } });
    expect(codec.structureCount).to.equal(seeds + 2);
    codec.encodeData({ a: 3, b: 4 }, 'body', 0);
    codec.encodeData({ a: 5, b: 6, c: 7 }, 'body', 0);
    expect(codec.structureCount, 'neither shape shared twice').to.equal(seeds + 2);
  });

  it('interleaved with msgpackr over one table, every frame decodes after the sync the counts ask for', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), plainValueArbitrary), { maxLength: 40 }), (steps) => {
        const sender = createFrameCodec();
        const receiver = createFrameCodec();
        for (const [whole, body] of steps) {
          const message = { type: KERNEL_ENVELOPE, to: 1, from: 0, askId: 0, body };
          if (whole) {
            const frame = sender.encode(message);
            if (sender.structureCount > receiver.importedStructureCount) receiver.importStructures(sender.exportStructures());
            expect(receiver.decode(frame)).to.deep.equal(message);
          } else {
            const frame = sender.encodeData(body, 'body', 0);
            if (sender.structureCount > receiver.importedStructureCount) receiver.importStructures(sender.exportStructures());
            expect(receiver.decodeDataRange(frame.bytes, frame.offset, frame.offset + frame.length, 'body')).to.deep.equal(body);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('writes maps once the table is full, and two-byte ids in a table past 32 shapes', () => {
    const full = link();
    for (let index = 0; index < structureCountMax + 5; index++) {
      const value = { [`key${index}`]: index };
      const wasFull = full.shared() === structureCountMax;
      expect(full.roundTrip(value)).to.deep.equal(value);
      expect(full.writer.bytes[0], wasFull ? 'a map16' : 'a record').to.equal(wasFull ? 0xde : 0x40 + full.shared() - 1);
    }
    const wide = link({ countMax: 80 });
    let twoByteIds = 0;
    for (let index = 0; index < 70; index++) {
      const value = { [`key${index}`]: index, rest: [index, { [`inner${index}`]: 'x' }] };
      const headroom = index % 3;
      const before = wide.shared();
      expect(wide.roundTrip(value, headroom)).to.deep.equal(value);
      // Both shapes shared here, the outer one's id past the 32nd: two bytes.
      if (before >= 32 && wide.shared() === before + 2) {
        expect(wide.writer.bytes[headroom], 'a two-byte id').to.be.within(0x60, 0x7f);
        twoByteIds++;
      }
    }
    expect(twoByteIds).to.be.above(10);
  });

  it('writes as a map an object whose shape the table has no room for once what it holds has filled it', () => {
    for (const [freeAt, headroom] of [
      [seedCount, 0],
      [40, 3],
    ] as const) {
      const { writer, roundTrip, shared } = link({ countMax: freeAt + 1 });
      // Fill the table but for one slot; past 32 shapes, ids take two bytes.
      for (let index = 0; shared() < freeAt; index++) roundTrip({ [`fill${index}`]: index });
      const value = { outer: { inner: 1 } };
      expect(roundTrip(value, headroom)).to.deep.equal(value);
      expect(shared(), 'the inner shape took the last slot').to.equal(freeAt + 1);
      expect(writer.bytes[headroom], 'the outer object is a map16').to.equal(0xde);
    }
  });

  it('writes objects whose keys change between lookup and walk as maps that decode, however deep, in bounded work', () => {
    const codec = createFrameCodec();
    const receiver = createFrameCodec();
    codec.encodeData({ 0: 0, 1: 1, next: 0 }, 'body', 0);
    for (let index = 0; codec.structureCount < structureCountMax; index++) codec.encodeData({ [`f${index}`]: 0 }, 'body', 0);
    receiver.importStructures(codec.exportStructures());
    let reads = 0;
    /** `{ 0, 1, next }`, where every other read of key 0 takes key 1 away and the next puts it back. */
    const shifty = (next: unknown): Record<string, unknown> => {
      const object: Record<string, unknown> = { 1: 1, next };
      let ownReads = 0;
      Object.defineProperty(object, '0', {
        enumerable: true,
        configurable: true,
        get() {
          reads++;
          if (ownReads++ % 2 === 0) delete object[1];
          else object[1] = 1;
          return 0;
        },
      });
      return object;
    };
    // One such object: the lookup finds a shared shape, the walk ends at one the full table lacks.
    const once = codec.encodeData(shifty([1, 2]), 'body', 0);
    expect(receiver.decodeDataRange(once.bytes, once.offset, once.offset + once.length, 'body')).to.deep.equal({ 0: 0, next: [1, 2] });
    // Nested at every level: once one is written again, the rest of the write is maps.
    reads = 0;
    let value: unknown = [1, 2, 3];
    const levels = nestingDepthMax - 2;
    for (let level = 0; level < levels; level++) value = shifty(value);
    const nested = codec.encodeData(value, 'body', 0);
    let decoded = receiver.decodeDataRange(nested.bytes, nested.offset, nested.offset + nested.length, 'body') as Record<string, unknown>;
    for (let level = 1; level < levels; level++) decoded = decoded.next as Record<string, unknown>;
    expect(decoded.next, 'every level decodes').to.deep.equal([1, 2, 3]);
    // Each object around the first one written again may be written again once: at most levels², not 2^levels.
    expect(reads).to.be.below(levels * levels);
  });

  it('keeps its shape tree bounded when objects serve as dictionaries', () => {
    // Through a codec: every value decodes, whatever path it took once the table filled.
    const codec = createFrameCodec();
    const receiver = createFrameCodec();
    receiver.importStructures(codec.exportStructures());
    for (let index = 0; index < 500; index++) {
      const value = { [`user-${index}`]: index };
      const frame = codec.encodeData(value, 'body', 0);
      if (codec.structureCount > receiver.importedStructureCount) receiver.importStructures(codec.exportStructures());
      expect(receiver.decodeDataRange(frame.bytes, frame.offset, frame.offset + frame.length, 'body')).to.deep.equal(value);
    }
    // With room in the table, each new key path is a node, up to the bound; then the slow path.
    const { writer } = link({ countMax: 8000 });
    for (let index = 0; index < shapeNodeCountMax + 100; index++) writer.write({ [`user-${index}`]: index }, 0);
    expect(writer.shapeNodeCount).to.equal(shapeNodeCountMax);
    expect(writer.write({ 'a-new-user': 1 }, 0)).to.equal(false);
    // With the table full, a new shape adds no node: it goes as a map.
    const full = link();
    for (let index = 0; index < 100; index++) full.roundTrip({ [`user-${index}`]: index });
    const nodes = full.writer.shapeNodeCount;
    expect(full.roundTrip({ 'one-more-user': 1 })).to.deep.equal({ 'one-more-user': 1 });
    expect(full.writer.shapeNodeCount).to.equal(nodes);
  });

  it('skips keys inherited from a polluted Object.prototype, as the check does', () => {
    const { roundTrip } = link();
    Object.defineProperty(Object.prototype, 'polluted', { value: 1, enumerable: true, configurable: true });
    try {
      const decoded = roundTrip({ a: 1, b: { c: 2 } }) as Record<string, unknown>;
      expect(Object.keys(decoded)).to.deep.equal(['a', 'b']);
      expect(Object.keys(decoded.b as object)).to.deep.equal(['c']);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });

  it('leaves a write begun from a getter, through this codec or another, to the slow path, and the outer frame whole', () => {
    for (const same of [true, false]) {
      const codec = createFrameCodec();
      const other = same ? codec : createFrameCodec();
      const receiver = createFrameCodec();
      let inner = 0;
      const value = {
        a: 1,
        get b(): number {
          inner = other.encodeData({ z: 26, long: 'y'.repeat(100) }, 'body', 0).length;
          return 2;
        },
        c: 'after the getter',
      };
      const frame = codec.encodeData(value, 'body', 0);
      receiver.importStructures(codec.exportStructures());
      expect(inner).to.be.above(100);
      expect(receiver.decodeDataRange(frame.bytes, frame.offset, frame.offset + frame.length, 'body')).to.deep.equal({ a: 1, b: 2, c: 'after the getter' });
    }
  });

  it('gives no id two meanings when a getter writes a body while msgpackr encodes a message', () => {
    const codec = createFrameCodec();
    const receiver = createFrameCodec();
    const bodies: unknown[] = [];
    let index = 0;
    const reason = {
      get r(): number {
        const body = { [`k${index++}`]: 1 };
        bodies.push(body);
        codec.encodeData(body, 'body', 0);
        return 1;
      },
      next: { x: 1 },
    };
    const frame = codec.encode({ type: KERNEL_STOP, to: 1, reason });
    receiver.importStructures(codec.exportStructures());
    expect(receiver.decode(frame)).to.deep.equal({ type: KERNEL_STOP, to: 1, reason: { r: 1, next: { x: 1 } } });
    // Bodies of both shapes afterwards, on the fast path, decode to themselves.
    for (const body of [...bodies, { x: 2 }, { k0: 3 }]) {
      const data = codec.encodeData(body, 'body', 0);
      if (codec.structureCount > receiver.importedStructureCount) receiver.importStructures(codec.exportStructures());
      expect(receiver.decodeDataRange(data.bytes, data.offset, data.offset + data.length, 'body')).to.deep.equal(body);
    }
  });

  it('counts values as the check does, keys included, though records send no keys', () => {
    const { writer } = link();
    const wide = Array.from({ length: arrayCountMax }, () => ({ a: 0, b: 0, c: 0, d: 0, e: 0, f: 0, g: 0, h: 0 }));
    expect(() => validatePlainData(wide, 'body')).to.throw(/valueCountMax/);
    expect(writer.write(wide, 0)).to.equal(false);
    expect(protocolErrorOf(() => createFrameCodec().encodeData(wide, 'body')).code).to.equal('too-large');
  });

  it('with the table full, writes new shapes as maps, reading each value once however deep', () => {
    const { writer, roundTrip, shared } = link({ countMax: seedCount });
    expect(shared(), 'the table is full').to.equal(seedCount);
    let reads = 0;
    let value: Record<string, unknown> = { leaf: 1 };
    for (let level = 0; level < nestingDepthMax - 2; level++) {
      const inner = value;
      value = {
        [`level${level}`]: level,
        get next() {
          reads++;
          return inner;
        },
      };
    }
    const decoded = roundTrip(value);
    expect(reads, 'each getter read once').to.equal(nestingDepthMax - 2);
    expect(decoded).to.deep.equal(JSON.parse(JSON.stringify(value)));
    reads = 0;
    expect(writer.write(value, 0)).to.equal(true);
    expect(reads).to.equal(nestingDepthMax - 2);
  });

  it('writes bytes of a Uint8Array or a Buffer, and leaves other subclasses and a toJSON of their own to msgpackr', () => {
    const { writer, roundTrip } = link();
    expect(roundTrip({ b: Buffer.from([1, 2, 3]) })).to.deep.equal({ b: Uint8Array.of(1, 2, 3) });
    class Tagged extends Uint8Array {}
    expect(writer.write({ b: new Tagged(2) }, 0)).to.equal(false);
    expect(writer.write({ b: Object.assign(Uint8Array.of(1), { toJSON: () => 'x' }) }, 0)).to.equal(false);
    expect(writer.write({ b: Object.assign(Buffer.from([1]), { toJSON: () => 'x' }) }, 0)).to.equal(false);
    const codec = createFrameCodec();
    const frame = codec.encodeData({ b: Object.assign(Uint8Array.of(1), { toJSON: () => 'x' }) }, 'body', 0);
    const receiver = createFrameCodec();
    receiver.importStructures(codec.exportStructures());
    expect(receiver.decodeDataRange(frame.bytes, frame.offset, frame.offset + frame.length, 'body'), 'as msgpackr sends it').to.deep.equal({ b: 'x' });
  });
});
