import { expect } from 'chai';
import fc from 'fast-check';
import { createInterconnect } from '../../../actors/cpu/interconnect.js';
import {
  envelopeDeadlineMsMax,
  envelopeHeaderBytes,
  envelopeHeaderBytesOf,
  mailFrameMarker,
  readMailFrame,
  replyHeaderBytes,
  tracedEnvelopeHeaderBytes,
  type TimedEnvelope,
  type TracedEnvelope,
  writeEnvelopeHeader,
  writeReplyHeader,
} from '../../../actors/cpu/mail-frames.js';
import { CpuPort } from '../../../actors/cpu/port.js';
import { InvariantError } from '../../../ground/errors.js';
import { ProtocolError } from '../../../protocols/protocol-error.js';
import type { EncodedBytes } from '../../../protocols/codec.js';
import { KERNEL_ENVELOPE, KERNEL_REPLY, KERNEL_STOP, type KernelMessage } from '../../../protocols/runtime.js';
import { createFrameCodec } from '../../../protocols/frame-codec.js';
import { plainValueArbitrary } from '../../protocols/arbitraries.js';
import { protocolErrorOf } from '../../helpers/errors.js';
import { stressSize } from '../../helpers/stress.js';

const pidArbitrary = fc.oneof(fc.constant(0), fc.nat(), fc.maxSafeNat());

/** What a kernel sends between CPUs: mail (envelopes, replies) mixed with other kernel messages. */
const sentArbitrary = fc.oneof(
  fc.record({ type: fc.constant(KERNEL_ENVELOPE), to: pidArbitrary, from: pidArbitrary, askId: pidArbitrary, body: plainValueArbitrary }),
  // Traced: the id of the sender's `send` event rides along (event ids are never 0).
  fc.record({
    type: fc.constant(KERNEL_ENVELOPE),
    to: pidArbitrary,
    from: pidArbitrary,
    askId: pidArbitrary,
    body: plainValueArbitrary,
    cause: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER })),
  }),
  // An ask's: the ms its asker has left ride along, traced or not.
  fc.record(
    {
      type: fc.constant(KERNEL_ENVELOPE),
      to: pidArbitrary,
      from: pidArbitrary,
      askId: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      body: plainValueArbitrary,
      cause: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      deadlineMs: fc.integer({ min: 1, max: envelopeDeadlineMsMax }),
    },
    { requiredKeys: ['type', 'to', 'from', 'askId', 'body', 'deadlineMs'] },
  ),
  fc.record({ type: fc.constant(KERNEL_REPLY), askId: pidArbitrary, to: pidArbitrary, ok: fc.boolean(), body: plainValueArbitrary }),
  fc.record({ type: fc.constant(KERNEL_STOP), to: pidArbitrary, reason: fc.string({ maxLength: 8 }) }),
);

/** Two CPUs' ports over one interconnect, in this thread; CPU 1 records what it is handed. */
function linkedPorts(shared: boolean): { sender: CpuPort; receiver: CpuPort; received: KernelMessage[] } {
  const memory = createInterconnect(2, 64 * 1024, shared);
  const received: KernelMessage[] = [];
  return {
    sender: new CpuPort(0, memory, { deliver: () => {} }),
    receiver: new CpuPort(1, memory, { deliver: (_source, message) => received.push(message as KernelMessage) }),
    received,
  };
}

function send(port: CpuPort, message: KernelMessage): boolean {
  switch (message.type) {
    case KERNEL_ENVELOPE:
      return offer(
        port,
        port.encodeEnvelope(
          1,
          message.to,
          message.from,
          message.askId,
          message.body,
          (message as Partial<TracedEnvelope>).cause ?? 0,
          (message as Partial<TimedEnvelope>).deadlineMs ?? 0,
        ),
      );
    case KERNEL_REPLY:
      return offer(port, port.encodeReply(1, message.askId, message.to, message.ok, message.body));
    default:
      return port.send(1, message);
  }
}

function offer(port: CpuPort, frame: EncodedBytes): boolean {
  return port.offer(1, frame.bytes, frame.offset, frame.length);
}

/** Lays a mail frame out by hand, for frames no kernel would write. */
function frame(headerBytes: number, write: (view: DataView) => void, body: readonly number[] = [0xc0]): { bytes: Uint8Array; view: DataView; length: number } {
  const bytes = new Uint8Array(headerBytes + body.length);
  const view = new DataView(bytes.buffer);
  write(view);
  bytes.set(body, headerBytes);
  return { bytes, view, length: bytes.length };
}

describe('mail frames between CPUs', () => {
  for (const shared of [true, false]) {
    it(`carry envelopes and replies, among other kernel messages, whole and in order (${shared ? 'SharedArrayBuffer' : 'ArrayBuffer'})`, () => {
      const { sender, receiver, received } = linkedPorts(shared);
      fc.assert(
        fc.property(fc.array(sentArbitrary, { maxLength: 20 }), (messages) => {
          received.length = 0;
          for (const message of messages) expect(send(sender, message)).to.equal(true);
          while (receiver.pump() > 0);
          expect(received).to.deep.equal(messages);
        }),
        { numRuns: 300 },
      );
      // Bodies of many shapes: the structure table filled up along the way and was synced in band.
      expect(receiver.counters.structureSyncs + sender.counters.structureSyncs).to.be.above(0);
      expect(receiver.counters.badFrames).to.equal(0);
    });
  }

  it('refuse a body that is not plain data before anything is sent, naming the field', () => {
    const { sender } = linkedPorts(false);
    expect(protocolErrorOf(() => sender.encodeEnvelope(1, 1, 0, 0, { when: new Date(0) })).detail).to.equal('body.when');
    expect(protocolErrorOf(() => sender.encodeReply(1, 1, 0, true, [() => 1])).detail).to.equal('body[0]');
    expect(sender.counters.framesSent).to.equal(0);
  });

  it('a frame that is not what a kernel writes is counted and skipped; the next one arrives', () => {
    const { sender, receiver, received } = linkedPorts(true);
    const forged = frame(replyHeaderBytes, (view) => writeReplyHeader(view, 0, 1, 2, true));
    forged.bytes[18] = 7; // ok must be 0 or 1
    expect(sender.offer(1, forged.bytes)).to.equal(true);
    expect(send(sender, { type: KERNEL_STOP, to: 5, reason: 'shutdown' })).to.equal(true);
    receiver.pump();
    expect(receiver.counters.badFrames).to.equal(1);
    expect(received).to.deep.equal([{ type: KERNEL_STOP, to: 5, reason: 'shutdown' }]);
  });

  describe('readMailFrame', () => {
    const codec = createFrameCodec();

    it('refuses truncated headers, unknown kinds and routing fields no kernel writes', () => {
      const envelope = frame(envelopeHeaderBytes, (view) => writeEnvelopeHeader(view, 0, 1, 2, 3));
      expect(readMailFrame(codec, envelope.view, envelope.bytes, envelope.length)).to.deep.equal({
        type: KERNEL_ENVELOPE,
        to: 1,
        from: 2,
        askId: 3,
        body: null,
      });
      for (const length of [1, 2, envelopeHeaderBytes])
        expect(protocolErrorOf(() => readMailFrame(codec, envelope.view, envelope.bytes, length)).code).to.equal('truncated');
      const traced = frame(tracedEnvelopeHeaderBytes, (view) => writeEnvelopeHeader(view, 0, 1, 2, 3, false, 2 ** 48 + 5));
      expect(readMailFrame(codec, traced.view, traced.bytes, traced.length)).to.deep.equal({
        type: KERNEL_ENVELOPE,
        to: 1,
        from: 2,
        askId: 3,
        body: null,
        cause: 2 ** 48 + 5,
      });
      expect(protocolErrorOf(() => readMailFrame(codec, traced.view, traced.bytes, tracedEnvelopeHeaderBytes)).code).to.equal('truncated');
      const timedBytes = envelopeHeaderBytesOf(7, 1_500);
      const timed = frame(timedBytes, (view) => writeEnvelopeHeader(view, 0, 1, 2, 3, false, 7, 1_500));
      expect(readMailFrame(codec, timed.view, timed.bytes, timed.length)).to.deep.equal({
        type: KERNEL_ENVELOPE,
        to: 1,
        from: 2,
        askId: 3,
        body: null,
        cause: 7,
        deadlineMs: 1_500,
      });
      expect(protocolErrorOf(() => readMailFrame(codec, timed.view, timed.bytes, timedBytes)).code).to.equal('truncated');
      // A deadline on a tell, or of 0 ms, is no kernel's.
      const untimely = frame(envelopeHeaderBytesOf(0, 1), (view) => writeEnvelopeHeader(view, 0, 1, 2, 3, false, 0, 1));
      untimely.view.setFloat64(18, 0, true);
      expect(protocolErrorOf(() => readMailFrame(codec, untimely.view, untimely.bytes, untimely.length)).code).to.equal('malformed');
      const reply = frame(replyHeaderBytes, (view) => writeReplyHeader(view, 0, 1, 2, false));
      expect(protocolErrorOf(() => readMailFrame(codec, reply.view, reply.bytes, replyHeaderBytes)).code).to.equal('truncated');
      const unknown = frame(2, (view) => view.setUint8(0, mailFrameMarker));
      unknown.bytes[1] = 9;
      expect(protocolErrorOf(() => readMailFrame(codec, unknown.view, unknown.bytes, unknown.length)).code).to.equal('malformed');
      for (const [offset, value, field] of [
        [2, -1, 'to'],
        [10, 0.5, 'from'],
        [18, Number.NaN, 'askId'],
        [2, 2 ** 53, 'to'],
      ] as const) {
        const bad = frame(envelopeHeaderBytes, (view) => writeEnvelopeHeader(view, 0, 1, 2, 3));
        bad.view.setFloat64(offset, value, true);
        const error = protocolErrorOf(() => readMailFrame(codec, bad.view, bad.bytes, bad.length));
        expect([error.code, error.detail]).to.deep.equal(['wrong-field-type', field]);
      }
    });

    it('checks a body as plain data unless the codec trusts it', () => {
      // msgpack's timestamp extension: a Date, which no kernel encoder lets through.
      const dated = frame(envelopeHeaderBytes, (view) => writeEnvelopeHeader(view, 0, 1, 2, 0), [0xd6, 0xff, 0, 0, 0, 1]);
      expect(protocolErrorOf(() => readMailFrame(codec, dated.view, dated.bytes, dated.length)).detail).to.equal('body');
      const trusted = readMailFrame(createFrameCodec(undefined, { decodedAnyFields: 'trust' }), dated.view, dated.bytes, dated.length);
      expect(trusted.body).to.be.instanceOf(Date);
    });

    it('any bytes after the marker read as mail or throw a ProtocolError, nothing else', () => {
      for (const anyFields of ['check', 'trust'] as const) {
        const decoder = createFrameCodec(undefined, { decodedAnyFields: anyFields });
        fc.assert(
          fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom(1, 2, 3, 0x21, 0x41, 0x61, 0xc1), (rest, kind) => {
            const bytes = Uint8Array.of(mailFrameMarker, kind, ...rest);
            try {
              const message = readMailFrame(decoder, new DataView(bytes.buffer), bytes, bytes.length);
              expect(message.type).to.be.oneOf([KERNEL_ENVELOPE, KERNEL_REPLY]);
            } catch (error) {
              expect(error).to.be.instanceOf(ProtocolError);
            }
          }),
          { numRuns: stressSize('FUZZ_RUNS', { ci: 500, full: 2_000 }) },
        );
      }
    });

    it('writers refuse routing fields that are not pids', () => {
      const view = new DataView(new ArrayBuffer(envelopeHeaderBytes));
      expect(() => writeEnvelopeHeader(view, 0, -1, 0, 0)).to.throw(InvariantError);
      expect(() => writeEnvelopeHeader(view, 0, 1, 0, 0, false, 0, 5), 'a deadline on a tell').to.throw(InvariantError);
      expect(() => writeReplyHeader(view, 0, 1.5, 0, true)).to.throw(InvariantError);
    });
  });
});
