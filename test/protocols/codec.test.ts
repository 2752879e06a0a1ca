import { expect } from 'chai';
import fc from 'fast-check';
import { createCodec } from '../../protocols/codec.js';
import type { Codec } from '../../protocols/codec.js';
import { frameBytesMax, stringLengthMax, structureCountMax } from '../../protocols/limits.js';
import { ProtocolError } from '../../protocols/protocol-error.js';
import { KERNEL_ENVELOPE, KERNEL_STOP, createRuntimeCodec, runtimeDescriptors, runtimeRegistry } from '../../protocols/runtime.js';
import type { KernelMessage } from '../../protocols/runtime.js';
import { createSchemaRegistry } from '../../protocols/schema.js';
import type { AnyMessage, MessageOf } from '../../protocols/schema.js';
import { anyMessageArbitrary, everyKindMessage, messageArbitrary } from './arbitraries.js';

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

function protocolErrorOf(action: () => unknown): ProtocolError {
  try {
    action();
  } catch (error) {
    expect(error).to.be.instanceOf(ProtocolError);
    return error as ProtocolError;
  }
  throw new Error('expected a ProtocolError');
}

describe('protocols/codec', () => {
  for (const structures of [true, false]) {
    describe(`round trip (structures ${structures ? 'on' : 'off'})`, () => {
      it('decodes every valid kernel message to a deep-equal value', () => {
        const link = createLink(() => createRuntimeCodec({ structures }));
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
    const codec = createRuntimeCodec();
    const receiver = createRuntimeCodec();
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
    const codec = createRuntimeCodec();
    const bad = { type: KERNEL_STOP, to: -1, reason: 'x' } as unknown as KernelMessage;
    expect(protocolErrorOf(() => codec.encode(bad)).code).to.equal('wrong-field-type');
    const foreign = { type: 'user.ping' } as unknown as KernelMessage;
    expect(protocolErrorOf(() => codec.encode(foreign)).code).to.equal('unknown-type');
  });

  it('refuses to encode or decode frames over frameBytesMax', () => {
    const codec = createRuntimeCodec();
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
    const codec = createRuntimeCodec();
    const message: KernelMessage = { type: KERNEL_STOP, to: 3, reason: 'shutdown' };
    const target = new Uint8Array(64);
    const written = codec.encodeInto(message, target, 10);
    expect(written).to.be.above(0);
    expect(codec.decode(target.subarray(10, 10 + written))).to.deep.equal(message);
    expect(codec.encodeInto(message, target, 64 - written + 1)).to.equal(0);
  });

  it('keeps runtime messages built in declaration order on pre-agreed records', () => {
    const sender = createRuntimeCodec();
    const receiver = createRuntimeCodec();
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
