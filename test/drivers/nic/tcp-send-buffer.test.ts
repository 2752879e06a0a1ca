import { expect } from 'chai';
import fc from 'fast-check';
import { RetransmitTimeout } from '../../../drivers/nic/tcp-retransmit-timeout.js';
import { SendBuffer } from '../../../drivers/nic/tcp-send-buffer.js';
import { joined, pattern } from './simulated-world.js';

describe('drivers: the simulated TCP send buffer', () => {
  it('copies any range of what was written and consumes from the front (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.record({ append: fc.integer({ min: 0, max: 3_000 }) }), fc.record({ consume: fc.nat(), copyAt: fc.nat(), copyLength: fc.nat() }))),
        (operations) => {
          const buffer = new SendBuffer();
          let model: Uint8Array = new Uint8Array(0);
          let written = 0;
          for (const operation of operations) {
            if ('append' in operation) {
              const bytes = pattern(operation.append, 3, written);
              written += operation.append;
              buffer.append(bytes);
              model = joined([model, bytes]);
            } else {
              const at = model.byteLength === 0 ? 0 : operation.copyAt % model.byteLength;
              const length = Math.min(operation.copyLength % 4_000, model.byteLength - at);
              expect(buffer.copy(at, length)).to.deep.equal(model.slice(at, at + length));
              const consumed = model.byteLength === 0 ? 0 : operation.consume % (model.byteLength + 1);
              buffer.consume(consumed);
              model = model.slice(consumed);
            }
            expect(buffer.size).to.equal(model.byteLength);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('gives copies of its own: changing one changes nothing written', () => {
    const buffer = new SendBuffer();
    const written = pattern(10, 1);
    buffer.append(written);
    buffer.copy(0, 10).fill(0);
    expect(buffer.copy(0, 10)).to.deep.equal(pattern(10, 1));
  });
});

describe('drivers: the simulated TCP retransmission timeout', () => {
  it('doubles on each timeout up to its cap, and falls back to the measured value on progress', () => {
    const timeout = new RetransmitTimeout(200, 2_000);
    const seen: number[] = [];
    for (let index = 0; index < 6; index++) {
      seen.push(timeout.currentMs);
      timeout.backOff();
    }
    expect(seen).to.deep.equal([200, 400, 800, 1_600, 2_000, 2_000]);
    timeout.sample(10);
    expect(timeout.currentMs).to.equal(50); // 10 + 4 × 5, under the floor
    timeout.backOff();
    timeout.recover();
    expect(timeout.currentMs).to.equal(50);
  });
});
