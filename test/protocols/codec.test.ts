import { expect } from 'chai';
import fc from 'fast-check';
// msgpackr's plain entry, as the codec imports it: its main entry would load the native string addon for every test in this process.
import { Packr } from 'msgpackr/pack';
import { InvariantError } from '../../ground/errors.js';
import { createCodec } from '../../protocols/codec.js';
import type { Codec } from '../../protocols/codec.js';
import { frameBytesMax, stringLengthMax, structureCountMax } from '../../protocols/limits.js';
import { KERNEL_ENVELOPE, KERNEL_STOP, runtimeDescriptors, runtimeRegistry } from '../../protocols/runtime.js';
import { createFrameCodec } from '../../protocols/frame-codec.js';
import type { KernelMessage } from '../../protocols/runtime.js';
import { createSchemaRegistry } from '../../protocols/schema.js';
import type { AnyMessage, MessageOf } from '../../protocols/schema.js';
import { anyMessageArbitrary, everyKindMessage, messageArbitrary, plainValueArbitrary } from './arbitraries.js';
import { protocolErrorOf } from '../helpers/errors.js';

const everyKindRegistry = createSchemaRegistry([everyKindMessage, ...runtimeDescriptors]);

/**
 * A sender and a receiver on "different threads": the receiver imports the sender's structures
 * whenever an encode taught the sender a new shape, before decoding that frame (the sync rule).
 */
function createLink<M extends AnyMessage>(makeCodec: () => Codec<M>): { readonly sender: Codec<M>; send(message: M): M } {
  const sender = makeCodec();
  const receiver = makeCodec();
  return {
    sender,
    send(message: M): M {
      const before = sender.structureCount;
      const frame = sender.encode(message);
      if (sender.structureCount !== before) receiver.importStructures(sender.exportStructures());
      return receiver.decode(frame);
    },
  };
}

describe('protocols/codec', () => {
  for (const structures of [true, false]) {
    describe(`round trip (structures ${structures ? 'on' : 'off'})`, () => {
      it('decodes every valid kernel message to a deep-equal value', () => {
        const link = createLink(() => createFrameCodec(undefined, { structures }));
        fc.assert(
          fc.property(anyMessageArbitrary<KernelMessage>(runtimeDescriptors), (message) => {
            expect(link.send(message)).to.deep.equal(message);
          }),
          { numRuns: 1000 },
        );
        // Random bodies have many shapes: the run must have filled the table and gone past it.
        if (structures) expect(link.sender.structureCount).to.equal(structureCountMax);
      });

      it('decodes messages using every field kind to a deep-equal value', () => {
        const link = createLink(() => createCodec({ registry: everyKindRegistry, structures }));
        fc.assert(
          fc.property(messageArbitrary<MessageOf<typeof everyKindMessage>>(everyKindMessage), (message) => {
            expect(link.send(message)).to.deep.equal(message);
          }),
          { numRuns: 300 },
        );
      });
    });
  }

  it('truncating a valid frame anywhere gives truncated or malformed', () => {
    const codec = createFrameCodec();
    const receiver = createFrameCodec();
    const codes = new Set<string>();
    fc.assert(
      fc.property(anyMessageArbitrary<KernelMessage>(runtimeDescriptors), (message) => {
        const frame = codec.encode(message);
        receiver.importStructures(codec.exportStructures());
        for (let length = 0; length < frame.byteLength; length++) {
          const error = protocolErrorOf(() => receiver.decode(frame.subarray(0, length)));
          expect(error.code).to.be.oneOf(['truncated', 'malformed']);
          codes.add(error.code);
        }
      }),
      { numRuns: 80 },
    );
    expect(codes.has('truncated')).to.equal(true);
  });

  it('decodes bytes fields as plain Uint8Array copies, whatever the frame is', () => {
    const codec = createCodec({ registry: everyKindRegistry });
    const message = { type: KERNEL_ENVELOPE, to: 1, from: 2, askId: 0, body: new Uint8Array([9, 8, 7]) };
    const frame = codec.encode(message);
    const shared = new Uint8Array(new SharedArrayBuffer(frame.byteLength));
    shared.set(frame);
    for (const source of [frame, Buffer.from(frame), new Uint8Array(frame), shared]) {
      const body = (codec.decode(source) as typeof message).body;
      expect(Object.getPrototypeOf(body)).to.equal(Uint8Array.prototype);
      expect(body.buffer).to.be.instanceOf(ArrayBuffer);
      expect([...body]).to.deep.equal([9, 8, 7]);
    }
    // A copy: rewriting the frame (as a ring reusing its slot would) leaves the decoded bytes alone.
    const decoded = codec.decode(shared) as typeof message;
    shared.fill(0);
    expect([...decoded.body]).to.deep.equal([9, 8, 7]);
  });

  it('validates before encoding, so a sender never emits a frame its peer refuses', () => {
    const codec = createFrameCodec();
    const bad = { type: KERNEL_STOP, to: -1, reason: 'x' } as unknown as KernelMessage;
    expect(protocolErrorOf(() => codec.encode(bad)).code).to.equal('wrong-field-type');
    const foreign = { type: 'user.ping' } as unknown as KernelMessage;
    expect(protocolErrorOf(() => codec.encode(foreign)).code).to.equal('unknown-type');
  });

  for (const structures of [true, false]) {
    it(`sends a message whose body changes its keys while it is written, and it decodes (structures ${structures ? 'on' : 'off'})`, () => {
      const link = createLink(() => createFrameCodec(undefined, { structures }));
      /**
       * `{ a, b, c }`, where every second read of `a` takes `b` away and the next puts it back: the
       * check reads it once, so an encoder's walk over the keys finds `b`, and its walk over the
       * values does not.
       */
      const shifty = (): Record<string, unknown> => {
        const body: Record<string, unknown> = {};
        let reads = 0;
        Object.defineProperty(body, 'a', {
          enumerable: true,
          configurable: true,
          get() {
            if (reads++ % 2 === 0) body.b = 2;
            else delete body.b;
            return 1;
          },
        });
        body.b = 2;
        body.c = 3;
        return body;
      };
      for (let send = 0; send < 3; send++) {
        const message: KernelMessage = { type: KERNEL_ENVELOPE, to: 1, from: 0, askId: 0, body: { inner: shifty(), after: [4, 5] } };
        const { body } = link.send(message) as { body: { inner: Record<string, unknown>; after: number[] } };
        expect(body.after).to.deep.equal([4, 5]);
        expect([body.inner.a, body.inner.c]).to.deep.equal([1, 3]);
        if ('b' in body.inner) expect(body.inner.b).to.equal(2);
      }
      // As deep as a message may nest: the check and the encoder count its levels alike.
      let deepest: unknown = shifty();
      let levels = 0;
      const envelope = (body: unknown): KernelMessage => ({ type: KERNEL_ENVELOPE, to: 1, from: 0, askId: 0, body });
      const probe = createFrameCodec(undefined, { structures });
      const encodes = (body: unknown): boolean => {
        try {
          probe.encode(envelope(body));
          return true;
        } catch {
          return false;
        }
      };
      while (encodes({ inner: deepest })) {
        deepest = { inner: deepest };
        levels++;
      }
      expect(levels, 'the loop found the nesting bound').to.be.above(5);
      let decoded = (link.send(envelope(deepest)) as { body: unknown }).body;
      while (levels-- > 0) decoded = (decoded as { inner: unknown }).inner;
      expect((decoded as { c: number }).c).to.equal(3);
    });
  }

  it('encodeAside leaves a frame encodeData handed out whole, where encode may not', () => {
    const codec = createFrameCodec();
    const stop: KernelMessage = { type: KERNEL_STOP, to: 3, reason: 'shutdown' };
    const frame = codec.encodeData({ shape: 'new', n: 1 }, 'body', 0);
    const written = frame.bytes.slice(frame.offset, frame.offset + frame.length);
    const aside = codec.encodeAside(stop);
    expect(frame.bytes.slice(frame.offset, frame.offset + frame.length)).to.deep.equal(written);
    expect(codec.decode(aside)).to.deep.equal(stop);
    expect(codec.decode(codec.encode(stop)), 'both encodings decode alike').to.deep.equal(stop);
  });

  it('refuses to encode or decode frames over frameBytesMax', () => {
    const codec = createFrameCodec();
    const body = Array.from({ length: 5 }, () => 'x'.repeat(stringLengthMax));
    const huge: KernelMessage = { type: KERNEL_ENVELOPE, to: 1, from: 0, askId: 0, body };
    const encodeError = protocolErrorOf(() => codec.encode(huge));
    expect([encodeError.code, encodeError.detail]).to.deep.equal(['too-large', 'frame']);
    const decodeError = protocolErrorOf(() => codec.decode(new Uint8Array(frameBytesMax + 1)));
    expect([decodeError.code, decodeError.detail]).to.deep.equal(['too-large', 'frame']);
    expect(protocolErrorOf(() => codec.decode(new Uint8Array(0))).code).to.equal('truncated');
    expect(protocolErrorOf(() => codec.decode('frame' as unknown as Uint8Array)).code).to.equal('malformed');
  });

  it('encodeInto copies the frame at an offset and returns 0 when it does not fit', () => {
    const codec = createFrameCodec();
    const message: KernelMessage = { type: KERNEL_STOP, to: 3, reason: 'shutdown' };
    const target = new Uint8Array(64);
    const written = codec.encodeInto(message, target, 10);
    expect(written).to.be.above(0);
    expect(codec.decode(target.subarray(10, 10 + written))).to.deep.equal(message);
    expect(codec.encodeInto(message, target, 64 - written + 1)).to.equal(0);
  });

  it('decodeRange decodes a frame in place among others, as decode does', () => {
    const link = createLink(() => createFrameCodec());
    const receiver = createFrameCodec();
    fc.assert(
      fc.property(fc.array(anyMessageArbitrary<KernelMessage>(runtimeDescriptors), { minLength: 1, maxLength: 8 }), fc.nat(7), (messages, gap) => {
        // Frames back to back in one buffer, as in a ring's scratch copy, decoded without views.
        const frames = messages.map((message) => link.sender.encode(message).slice());
        receiver.importStructures(link.sender.exportStructures());
        const buffer = new Uint8Array(frames.reduce((sum, frame) => sum + frame.byteLength + gap, 0));
        let offset = 0;
        for (const [index, frame] of frames.entries()) {
          buffer.set(frame, offset);
          expect(receiver.decodeRange(buffer, offset, offset + frame.byteLength)).to.deep.equal(receiver.decode(frame));
          expect(receiver.decodeRange(buffer, offset, offset + frame.byteLength)).to.deep.equal(messages[index]);
          offset += frame.byteLength + gap;
        }
      }),
      { numRuns: 300 },
    );
    const frame = receiver.encode({ type: KERNEL_STOP, to: 3, reason: 'shutdown' });
    expect(protocolErrorOf(() => receiver.decodeRange(frame, 2, 2)).code).to.equal('truncated');
    expect(protocolErrorOf(() => receiver.decodeRange(frame, 0, frame.byteLength - 1)).code).to.be.oneOf(['truncated', 'malformed']);
    expect(() => receiver.decodeRange(frame, 0, frame.byteLength + 1)).to.throw(InvariantError, /range/);
  });

  it('encodeData leaves the asked headroom before the data, whether or not the value taught it a new shape', () => {
    const sender = createFrameCodec();
    const receiver = createFrameCodec();
    let newShapes = 0;
    fc.assert(
      fc.property(plainValueArbitrary, fc.integer({ min: 0, max: 255 }), (value, headroom) => {
        const before = sender.structureCount;
        const { bytes, offset, length } = sender.encodeData(value, 'body', headroom);
        if (sender.structureCount !== before) {
          newShapes++;
          receiver.importStructures(sender.exportStructures());
        }
        bytes.fill(0xee, offset, offset + headroom); // the caller's header goes there; it must not touch the data
        expect(length).to.be.above(headroom);
        expect(receiver.decodeDataRange(bytes, offset + headroom, offset + length, 'body')).to.deep.equal(value);
      }),
      { numRuns: 500 },
    );
    // Both kinds of value came: ones of a shape the encoder knew, and ones that taught it a new shape.
    expect(newShapes).to.be.above(0).and.below(500);
    expect(() => sender.encodeData(1, 'body', 256)).to.throw(InvariantError, /headroomBytes/);
  });

  describe("decodedAnyFields: 'trust'", () => {
    // A body no validating encoder would emit: a Date and a key with a lone surrogate.
    const forged = { type: KERNEL_ENVELOPE, to: 1, from: 0, askId: 0, body: { when: new Date(0), '\ud800': 1 } };
    const frame = new Packr({ useRecords: false }).pack(forged);

    it('still checks every declared field of a decoded message', () => {
      const codec = createFrameCodec(undefined, { decodedAnyFields: 'trust' });
      const badPid = new Packr({ useRecords: false }).pack({ ...forged, to: -1 });
      expect(protocolErrorOf(() => codec.decode(badPid)).detail).to.equal('to');
      const extra = new Packr({ useRecords: false }).pack({ ...forged, extra: 1 });
      expect(protocolErrorOf(() => codec.decode(extra)).code).to.equal('malformed');
      const unknown = new Packr({ useRecords: false }).pack({ type: 'kernel.nope', to: 1 });
      expect(protocolErrorOf(() => codec.decode(unknown)).code).to.equal('unknown-type');
    });

    it('takes the contents of any fields as given, where the default walks and refuses them', () => {
      expect(protocolErrorOf(() => createFrameCodec().decode(frame)).detail).to.match(/^body/);
      const trusted = createFrameCodec(undefined, { decodedAnyFields: 'trust' }).decode(frame) as { body: { when: unknown } };
      expect(trusted.body.when).to.be.instanceOf(Date);
    });

    it('leaves encoding as strict as ever', () => {
      const codec = createFrameCodec(undefined, { decodedAnyFields: 'trust' });
      expect(protocolErrorOf(() => codec.encode(forged as never)).detail).to.match(/^body/);
    });
  });

  it('keeps runtime messages built in declaration order on pre-agreed records', () => {
    const sender = createFrameCodec();
    const receiver = createFrameCodec();
    expect(sender.structureCount).to.equal(runtimeDescriptors.length);
    const message: KernelMessage = { type: KERNEL_STOP, to: 3, reason: 'shutdown' };
    const frame = sender.encode(message);
    // No import needed, and the frame is a record (an id byte), not a map with key strings.
    expect(receiver.decode(frame)).to.deep.equal(message);
    expect(frame[0]).to.be.within(0x40, 0x5f);
    expect(sender.structureCount).to.equal(runtimeDescriptors.length);
    expect(runtimeRegistry.validate(receiver.decode(frame))).to.deep.equal(message);
  });
});
