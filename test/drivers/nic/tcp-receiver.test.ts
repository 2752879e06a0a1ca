import { expect } from 'chai';
import fc from 'fast-check';
import { TcpReceiver } from '../../../drivers/nic/tcp-receiver.js';
import { joined, pattern } from './simulated-world.js';

const windowBytes = 65_536;

/** A receiver starting at sequence number 1000, recording what it raises. */
function receiver(credits: number, window = windowBytes) {
  const delivered: Uint8Array[] = [];
  const raised: string[] = [];
  const tcp = new TcpReceiver(1_000, window, credits, {
    deliver: (bytes) => {
      delivered.push(bytes);
      raised.push('data');
    },
    ended: () => raised.push('ended'),
    paused: () => raised.push('paused'),
  });
  return { tcp, delivered, raised };
}

describe('drivers: the simulated TCP receiver', () => {
  it('puts segments back in order and drops duplicates, whatever order they come in (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1_460 }), { minLength: 1, maxLength: 30 }),
        fc.array(fc.nat(), { maxLength: 60 }),
        fc.integer({ min: 1, max: 200 }),
        (lengths, picks, seed) => {
          const stream = pattern(
            lengths.reduce((sum, length) => sum + length, 0),
            seed,
          );
          const segments: { seq: number; payload: Uint8Array; fin: boolean }[] = [];
          let offset = 0;
          for (const [index, length] of lengths.entries()) {
            segments.push({ seq: 1_000 + offset, payload: stream.subarray(offset, offset + length), fin: index === lengths.length - 1 });
            offset += length;
          }
          // Some segments first, chosen (with repeats) by `picks`, then every one in order: a retransmission of all.
          const arrivals = [...picks.map((pick) => segments[pick % segments.length]!), ...segments];
          const { tcp, delivered, raised } = receiver(1_000_000);
          for (const segment of arrivals) tcp.accept(segment.seq, segment.payload, segment.fin);
          expect(joined(delivered)).to.deep.equal(stream);
          expect(raised.filter((kind) => kind === 'ended')).to.have.length(1);
          expect(raised.at(-1)).to.equal('ended');
          expect(tcp.next).to.equal(1_000 + stream.byteLength + 1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('holds bytes when credits run out, shrinks the window left, and hands them over joined when credit returns', () => {
    const { tcp, delivered, raised } = receiver(2);
    expect(tcp.advertise()).to.equal(windowBytes);
    for (let index = 0; index < 4; index++) tcp.accept(1_000 + index * 1_000, pattern(1_000, 0, index * 1_000), false);
    expect(raised).to.deep.equal(['data', 'data', 'paused']);
    // The right edge stays where it was advertised: the 2000 bytes held come out of the window.
    expect(tcp.advertise()).to.equal(windowBytes - 4_000);
    expect(tcp.credit(1), 'the credit went to the held bytes at once: the window stays shut').to.equal(false);
    expect(delivered[2]).to.deep.equal(pattern(2_000, 0, 2_000));
    expect(tcp.credit(1), 'now the window opens: a window update is due').to.equal(true);
    expect(tcp.advertise()).to.equal(windowBytes);
    tcp.accept(5_000, pattern(0, 0), true);
    expect(raised).to.deep.equal(['data', 'data', 'paused', 'data', 'paused', 'ended']);
  });

  it('drops what lies past the window, FIN included', () => {
    const { tcp, delivered, raised } = receiver(1, 1_460);
    tcp.accept(1_000, pattern(2_000, 0), true);
    expect(delivered.map((bytes) => bytes.byteLength)).to.deep.equal([1_460]);
    expect(raised).to.not.include('ended');
    expect(tcp.next).to.equal(2_460);
  });
});
