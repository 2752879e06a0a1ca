/**
 * Goal: `decode` is total over bytes. For any input it returns a message that validates or throws
 * ProtocolError; never a TypeError, RangeError, msgpackr error or InvariantError.
 * Method: random bytes (plain and starting with container or extension headers), mutations of
 * valid frames, frames packed by a permissive msgpackr from exotic values, and a table of crafted
 * frames for every msgpackr extension, fed to decoders in each structure mode. The random cases run
 * FUZZ_RUNS times (test/helpers/stress.ts: 500 under npm test, 2 000 under npm run test:stress); the
 * exotic values, slower to pack, 0.4 times that.
 */
import { expect } from 'chai';
import fc from 'fast-check';
// msgpackr's plain entry, as the codec imports it: its main entry would load the native string addon for every test in this process.
import { Packr, pack } from 'msgpackr/pack';
import type { Codec } from '../../protocols/codec.js';
import { frameBytesMax } from '../../protocols/limits.js';
import { ProtocolError } from '../../protocols/protocol-error.js';
import type { ProtocolErrorCode } from '../../protocols/protocol-error.js';
import { KERNEL_ENVELOPE, runtimeDescriptors, runtimeRegistry } from '../../protocols/runtime.js';
import { createFrameCodec } from '../../protocols/frame-codec.js';
import type { KernelMessage } from '../../protocols/runtime.js';
import { anyMessageArbitrary, plainValueArbitrary } from './arbitraries.js';
import { stressSize } from '../helpers/stress.js';

/** A sender that has learned a full table, so its frames use many record ids. */
const sender = createFrameCodec();
fc.sample(anyMessageArbitrary<KernelMessage>(runtimeDescriptors), { numRuns: 300, seed: 7 }).forEach((message) => sender.encode(message));

const decoders: ReadonlyArray<readonly [string, Codec<KernelMessage>]> = (() => {
  const imported = createFrameCodec();
  imported.importStructures(sender.exportStructures());
  return [
    ['structures imported', imported],
    ['seeds only', createFrameCodec()],
    ['structures off', createFrameCodec(undefined, { structures: false })],
  ] as const;
})();

interface Outcomes {
  decoded: number;
  refused: number;
}

/** Decodes with every decoder; each must return a valid message or throw ProtocolError. */
function expectTotal(bytes: Uint8Array, outcomes: Outcomes): void {
  for (const [, decoder] of decoders) {
    let message: KernelMessage;
    try {
      message = decoder.decode(bytes);
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw new Error(`decode threw ${String(error)} for ${Buffer.from(bytes).toString('hex').slice(0, 200)}`);
      outcomes.refused++;
      continue;
    }
    outcomes.decoded++;
    expect(() => runtimeRegistry.validate(message)).not.to.throw();
  }
}

const headerByte = fc.oneof(
  fc.integer({ min: 0x40, max: 0x5f }), // record ids
  fc.integer({ min: 0x80, max: 0x9f }), // fixmap, fixarray
  fc.constantFrom(0xc1, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xdc, 0xdd, 0xde, 0xdf),
);

type Mutation = { readonly kind: 'set' | 'insert' | 'delete' | 'truncate'; readonly at: number; readonly byte: number };

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('set', 'set', 'insert', 'delete', 'truncate'),
  at: fc.nat(),
  byte: fc.integer({ min: 0, max: 255 }),
});

function mutate(frame: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = [...frame];
  for (const { kind, at, byte } of mutations) {
    const index = bytes.length === 0 ? 0 : at % bytes.length;
    if (kind === 'set') bytes[index] = byte;
    else if (kind === 'insert') bytes.splice(index, 0, byte);
    else if (kind === 'delete') bytes.splice(index, 1 + (byte % 4));
    else bytes = bytes.slice(0, index);
  }
  return Uint8Array.from(bytes);
}

/** Concatenates byte parts; strings are msgpack-encoded (plain, no records). */
function frameOf(...parts: ReadonlyArray<number[] | string>): Uint8Array {
  const bytes: number[] = [];
  for (const part of parts) bytes.push(...(typeof part === 'string' ? pack(part) : part));
  return Uint8Array.from(bytes);
}

/** An envelope as a plain map whose body is the raw bytes `body`. */
function envelopeWith(body: number[]): Uint8Array {
  return frameOf([0x85], 'type', KERNEL_ENVELOPE, 'to', [1], 'from', [0], 'askId', [0], 'body', body);
}

const text = (value: string): number[] => [...pack(value)];

const fuzzRuns = stressSize('FUZZ_RUNS', { ci: 500, full: 2_000 });

describe('protocols/codec fuzz', () => {
  it('random bytes decode to a valid message or a ProtocolError', () => {
    const outcomes = { decoded: 0, refused: 0 };
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 4096 }),
          fc.tuple(headerByte, fc.uint8Array({ maxLength: 256 })).map(([head, tail]) => Uint8Array.of(head, ...tail)),
        ),
        (bytes) => {
          expectTotal(bytes, outcomes);
        },
      ),
      { numRuns: fuzzRuns },
    );
    expect(outcomes.refused).to.be.above(0);
  });

  it('mutated and truncated valid frames decode to a valid message or a ProtocolError', () => {
    const frames = anyMessageArbitrary<KernelMessage>(runtimeDescriptors).map((message) => sender.encode(message));
    const outcomes = { decoded: 0, refused: 0 };
    fc.assert(
      fc.property(frames, fc.array(mutationArbitrary, { minLength: 1, maxLength: 4 }), (frame, mutations) => {
        expectTotal(mutate(frame, mutations), outcomes);
      }),
      { numRuns: fuzzRuns },
    );
    // Both outcomes must occur, or the mutations would not be reaching validation at all.
    expect(outcomes.decoded).to.be.above(0);
    expect(outcomes.refused).to.be.above(0);
  });

  it('frames packed from exotic values decode to a valid message or a ProtocolError', () => {
    const foreign = [
      new Packr({ moreTypes: true, structuredClone: true, useRecords: false }),
      new Packr({ moreTypes: true, structuredClone: true }), // in-band record definitions
      new Packr({ moreTypes: true, useBigIntExtension: true, variableMapSize: true, mapsAsObjects: false }),
    ];
    const exotic = fc.oneof(
      fc.anything({
        withBigInt: true,
        withDate: true,
        withMap: true,
        withSet: true,
        withTypedArray: true,
        withNullPrototype: true,
        withBoxedValues: true,
        withSparseArray: true,
        maxDepth: 3,
      }),
      plainValueArbitrary,
    );
    const outcomes = { decoded: 0, refused: 0 };
    fc.assert(
      fc.property(exotic, fc.nat(foreign.length - 1), fc.boolean(), (value, which, asBody) => {
        const message = asBody ? { type: KERNEL_ENVELOPE, to: 1, from: 0, askId: 0, body: value } : value;
        let bytes: Uint8Array;
        try {
          bytes = (foreign[which] as Packr).pack(message);
        } catch {
          return; // msgpackr cannot pack every value (e.g. huge bigints); nothing to decode
        }
        if (bytes.byteLength <= frameBytesMax) expectTotal(bytes, outcomes);
      }),
      { numRuns: Math.ceil(fuzzRuns * 0.4) },
    );
    expect(outcomes.decoded).to.be.above(0);
    expect(outcomes.refused).to.be.above(0);
  });

  describe('crafted frames', () => {
    // msgpackr counts a RangeError within 8 bytes of the end as running out of bytes, so an
    // extension that fails that way at the end of a frame reports `truncated`.
    const endOfFrame: ProtocolErrorCode[] = ['truncated', 'malformed'];
    const cases: ReadonlyArray<readonly [string, number[], ProtocolErrorCode | ProtocolErrorCode[] | 'valid']> = [
      ['a Date (timestamp extension)', [0xd6, 0xff, 0, 0, 0, 1], 'wrong-field-type'],
      ['an invalid-length timestamp', [0xc7, 3, 0xff, 0, 0, 0], 'wrong-field-type'],
      ['a Set (0x73)', [0xd4, 0x73, 0, 0x91, 1], 'wrong-field-type'],
      ['an Error (0x65)', [0xd4, 0x65, 0, 0x93, ...text('Error'), ...text('m'), 0xc0], 'wrong-field-type'],
      ['an Error named __proto__', [0xd4, 0x65, 0, 0x93, ...text('__proto__'), ...text('m'), 0xc0], 'malformed'],
      ['an Error named constructor', [0xd4, 0x65, 0, 0x93, ...text('constructor'), ...text('m'), 0xc0], 'wrong-field-type'],
      ['an Error whose data is not an array', [0xd4, 0x65, 0, 0xc0], 'malformed'],
      ['a RegExp (0x78)', [0xd4, 0x78, 0, 0x92, ...text('a+'), ...text('g')], 'wrong-field-type'],
      ['an invalid RegExp', [0xd4, 0x78, 0, 0x92, ...text('('), ...text('')], 'malformed'],
      ['a typed array (0x74) of Uint16', [0xc7, 5, 0x74, 4, 0, 0, 0, 0], 'wrong-field-type'],
      ['a typed array of a bad length', [0xc7, 4, 0x74, 6, 0, 0, 0], endOfFrame],
      ['an ArrayBuffer (typed array code 16)', [0xc7, 3, 0x74, 16, 0, 0], 'wrong-field-type'],
      ['a DataView (typed array code 17)', [0xc7, 3, 0x74, 17, 0, 0], 'wrong-field-type'],
      ['an unknown typed array code', [0xc7, 2, 0x74, 99, 0], 'malformed'],
      ['a 128-bit bigint (0x42)', [0xd8, 0x42, ...new Array<number>(16).fill(0x7f)], 'too-large'],
      ['the 0xC1 marker', [0xc1], 'wrong-field-type'],
      ['a structured-clone pointer (0x70)', [0xd6, 0x70, 0, 0, 0, 1], 'malformed'],
      ['a structured-clone id (0x69)', [0xd6, 0x69, 0, 0, 0, 1, 0x90], 'malformed'],
      ['an unknown extension', [0xd4, 0x10, 0], 'malformed'],
      ['a map with an array key', [0x81, 0x90, 1], 'malformed'],
      ['an array32 claiming 4G elements', [0xdd, 0xff, 0xff, 0xff, 0xff], 'truncated'],
      ['a map32 claiming 4G entries', [0xdf, 0xff, 0xff, 0xff, 0xff], 'truncated'],
      ['a str32 claiming 4 GiB', [0xdb, 0xff, 0xff, 0xff, 0xff], 'truncated'],
      ['an in-band record definition', [0xd4, 0x72, 0x00, 0x92, ...text('a'), ...text('b'), 1, 2], 'valid'],
      ['undefined (extension 0)', [0xd4, 0, 0], 'valid'],
      ['an int64 bigint', [0xd3, 0, 0, 0, 0, 0, 0, 0, 5], 'valid'],
    ];
    for (const [name, body, expected] of cases) {
      it(`handles ${name} in a body`, () => {
        for (const [mode, decoder] of decoders) {
          if (expected === 'valid') {
            expect(() => decoder.decode(envelopeWith(body)), mode).not.to.throw();
            continue;
          }
          const error = (() => {
            try {
              decoder.decode(envelopeWith(body));
            } catch (thrown) {
              return thrown;
            }
            return undefined;
          })();
          expect(error, mode).to.be.instanceOf(ProtocolError);
          expect((error as ProtocolError).code, `${mode}: ${(error as Error).message}`).to.be.oneOf(Array.isArray(expected) ? expected : [expected]);
        }
      });
    }

    it('renames a __proto__ key instead of polluting any prototype', () => {
      const body = [0x81, ...text('__proto__'), 0x81, ...text('polluted'), 0xc3];
      for (const [, decoder] of decoders) {
        const message = decoder.decode(envelopeWith(body)) as { body: Record<string, unknown> };
        expect(Object.getPrototypeOf(message.body)).to.equal(Object.prototype);
        expect(Object.keys(message.body)).to.deep.equal(['__proto_']);
        expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      }
      // At the top level the renamed key hides `type`, so the frame is not a message.
      const top = frameOf([0x81], '__proto__', [0x83], 'type', 'kernel.stop', 'to', [1], 'reason', 'x');
      for (const [, decoder] of decoders) expect(() => decoder.decode(top)).to.throw(ProtocolError, /not-a-message/);
    });

    it('survives nesting as deep as a frame allows', () => {
      const depth = frameBytesMax - 64;
      const body = [...new Array<number>(depth).fill(0x91), 0xc0];
      for (const [, decoder] of decoders) expect(() => decoder.decode(envelopeWith(body))).to.throw(ProtocolError);
    });
  });
});
