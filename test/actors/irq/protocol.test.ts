/** The irq protocol: every message validates, round-trips through its codec, and bad ones are refused. */
import { expect } from 'chai';
import { ProtocolError } from '../../../protocols/index.js';
import { type IrqMessage, irqRegistry } from '../../../protocols/irq.js';
import { createIrqCodec } from '../../../protocols/irq-codec.js';
import { lineInputEvents } from '../../../actors/irq/line.js';

const samples: IrqMessage[] = [
  ...lineInputEvents,
  { type: 'irq.signal', name: 'SIGTERM', seq: 1 },
  { type: 'irq.timer', id: 7, tag: 'poll', dueMs: 10, firedMs: 10.5 },
];

describe('irq protocol', () => {
  it('validates and round-trips every line and device event', () => {
    const codec = createIrqCodec();
    for (const message of samples) {
      expect(irqRegistry.validate(message)).to.equal(message);
      expect(codec.decode(codec.encode(message))).to.deep.equal(message);
    }
  });

  it('refuses malformed events with a ProtocolError', () => {
    const codec = createIrqCodec();
    const bad = [
      { type: 'irq.drain-done', ring: 'full' },
      { type: 'irq.signal', name: 'SIGKILL', seq: 1 },
      { type: 'irq.timer', id: 1.5, tag: '', dueMs: 0, firedMs: 0 },
      { type: 'irq.raise', extra: 1 },
    ];
    for (const message of bad) {
      expect(() => irqRegistry.validate(message)).to.throw(ProtocolError);
      expect(() => codec.encode(message as never)).to.throw(ProtocolError);
    }
  });
});
